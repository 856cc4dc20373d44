/**
 * HTTP Message Signatures (RFC 9421): Keyward's own strict signer and verifier.
 *
 * The verifier checks exactly one signature, the one under the policy's label; other labels are
 * ignored (they can neither satisfy nor mask the check). Signature-Input and Signature are parsed
 * as strict RFC 8941 Dictionaries; any duplicate member or parameter key in either field rejects
 * the message (RFC 8941's last-wins would let an appended field line replace a signature).
 *
 * Supported components: the derived components @method, @target-uri, @authority, @scheme,
 * @request-target, @path, @query, @query-param;name="…", @status, and HTTP fields by lowercase
 * name. Component parameters other than `name` on @query-param (sf, key, bs, req, tr) are not
 * supported and reject the signature. Paths and queries are taken from the request-target as
 * sent: no dot-segment removal, no percent-decoding, no case change of the method.
 *
 * Components are named in this API by strings: the component name (`@method`,
 * `content-digest`) or, for @query-param, the name followed by its parameter in canonical
 * form (`@query-param;name="Pet"`).
 */
export { signatureBase } from './signature-base.js';
export { signHttpMessage } from './sign.js';
export { verifyHttpSignature } from './verify.js';
export type * from './types.js';
