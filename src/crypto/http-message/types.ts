import type { KeyObject } from 'node:crypto';

/** The public shapes of Keyward's RFC 9421 signer and verifier. */
export interface HttpMessageParts {
  /** Request: the raw method, case-sensitive, not normalised. */
  method?: string;
  /**
   * Request: the raw request-target as sent (origin-form `/foo?x=1`, absolute-form
   * `https://host/foo`, or `*`). @path, @query and @query-param are derived from it without URL
   * normalisation.
   */
  target?: string;
  /** Request: the authority (Host); lowercased and stripped of the scheme's default port here. */
  authority?: string;
  /** Request: 'http' or 'https' (lowercased here). */
  scheme?: string;
  /** Response: the status code. */
  status?: number;
  /** Lowercase field names; an array holds several field lines, combined with ", ". */
  headers: Record<string, string | string[] | undefined>;
}

export type SignatureAlgorithm =
  | 'ecdsa-p256-sha256'
  | 'ecdsa-p384-sha384'
  | 'ed25519'
  | 'rsa-pss-sha512'
  | 'rsa-v1_5-sha256'
  | 'hmac-sha256';

/** How an ECDSA signature's (r, s) is encoded: RFC 9421's raw r ‖ s, or a DER SEQUENCE of two INTEGERs (Java's SHA256withECDSA). */
export type EcdsaEncoding = 'raw' | 'der';

/** A covered component: `@method`, `content-digest`, `@query-param;name="Pet"` (canonical form). */
export type ComponentIdentifier = string;

export interface SignaturePolicy {
  /** The only signature checked; all other labels are ignored. */
  label: string;
  /** Components that must all be covered (canonical form); extra covered components are allowed. */
  requiredComponents: readonly ComponentIdentifier[];
  /** Allowed algorithms. The key must fit; an `alg` parameter, if present, must be one of these and fit the key. */
  algorithms: readonly SignatureAlgorithm[];
  /** Epoch milliseconds (injected clock). */
  now: number;
  /** When set, `created` is required and may be at most this old. */
  maxAgeSeconds?: number;
  /** Tolerance for clocks ahead of ours: on `created` (future) and on `expires`. Default 30. */
  maxSkewSeconds?: number;
  /** When set, the `keyid` parameter must be present and equal to it. */
  requireKeyId?: string;
  /** The `alg` parameter must be present (otherwise the algorithm is chosen from the key). */
  requireAlg?: boolean;
  /**
   * ECDSA encodings accepted, told apart by shape (exactly the raw length, or a strict DER
   * SEQUENCE). Default `['raw']`: RFC 9421 §3.3.4–5.
   */
  ecdsaEncodings?: readonly EcdsaEncoding[];
}

/** A verified signature: its parameters as sent (`alg` included when present) and what was checked. */
export interface VerifiedHttpSignature extends SignatureParameters {
  label: string;
  /** Covered components in signed order, in canonical form. */
  components: string[];
  /** The algorithm the signature was verified with. */
  algorithm: SignatureAlgorithm;
  /** ECDSA algorithms: how the signature was encoded. */
  ecdsaEncoding?: EcdsaEncoding;
  /** The signature base that was verified. */
  base: string;
}

/** Signature parameters Keyward writes, serialised in this order: created, expires, keyid, alg, nonce, tag. */
export interface SignatureParameters {
  created?: number;
  expires?: number;
  keyid?: string;
  alg?: string;
  nonce?: string;
  tag?: string;
}

export interface SignHttpMessageOptions extends Omit<SignatureParameters, 'alg'> {
  label: string;
  components: readonly ComponentIdentifier[];
  /** Private key (secret KeyObject for hmac-sha256). */
  key: KeyObject;
  algorithm: SignatureAlgorithm;
  /** Write the `alg` parameter (default true; RFC 9421's own examples omit it). */
  includeAlg?: boolean;
  /** ECDSA algorithms: encode the signature as DER instead of RFC 9421's raw r ‖ s (to play Java's SHA256withECDSA). Default 'raw'. */
  ecdsaEncoding?: EcdsaEncoding;
}

export interface SignedHttpMessage {
  /** One Signature-Input member: `label=(…);created=…`. */
  signatureInput: string;
  /** One Signature member: `label=:…:`. */
  signature: string;
  /** The signature base that was signed. */
  base: string;
}
