import { canonicalCbor, RawCbor } from './canonical-cbor.js';
import { issuerSignedItemBytes, type IssuerSignedItem } from './issuer-signed-item.js';

/**
 * StaticAuthData (PROTOCOLS.md §7), what CertifyAuthKeysResponse returns for each auth key:
 *
 *   { "digestIdMapping": { NameSpace => [ + #6.24(bstr .cbor IssuerSignedItem with elementValue null) ] },
 *     "issuerAuth": COSE_Sign1 }
 *
 * The holder fills each value back in from the data it was provisioned with and re-encodes the
 * item canonically, so the digest in the MSO matches only because the issuer encoded it so too.
 * `issuerAuth` is embedded exactly as signed.
 */
export function encodeStaticAuthData(
  nameSpaces: ReadonlyMap<string, readonly IssuerSignedItem[]>,
  issuerAuth: Uint8Array,
): Uint8Array {
  const digestIdMapping = new Map(
    [...nameSpaces].map(([nameSpace, items]) => [
      nameSpace,
      items.map((item) => new RawCbor(issuerSignedItemBytes({ ...item, elementValue: null }))),
    ]),
  );
  return canonicalCbor(
    new Map<string, unknown>([
      ['digestIdMapping', digestIdMapping],
      ['issuerAuth', new RawCbor(issuerAuth)],
    ]),
  );
}
