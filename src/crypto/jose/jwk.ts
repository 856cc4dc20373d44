import { createHash } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { asBuffer } from '../bytes.js';
import { DerReader, TagClass, UNIVERSAL } from '../asn1/der.js';
import { oidText } from '../asn1/oid.js';
import { CURVES, EC_OID, ED25519_OID, RSA_OID } from '../keys.js';

const COORDINATE_BYTES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

const unsigned = (bytes: Uint8Array) => {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return asBuffer(bytes.subarray(start)).toString('base64url');
};

/**
 * The public JWK of a SubjectPublicKeyInfo, read straight from its DER (EC with an uncompressed
 * point, RSA, Ed25519) — importing a key costs more than verifying with it, and a request's
 * attested key only needs describing. Undefined for anything else (callers import instead).
 */
export function spkiToJwk(spki: Uint8Array): JsonWebKey | undefined {
  try {
    const outer = new DerReader(spki, 'MALFORMED_PUBLIC_KEY');
    const info = outer.sequence('SubjectPublicKeyInfo');
    const algorithm = info.sequence('algorithm');
    const oid = oidText(algorithm, algorithm.expect(TagClass.Universal, UNIVERSAL.OID, 'algorithm'));
    const parameters = algorithm.done ? undefined : algorithm.next();
    const bits = info.bitString('subjectPublicKey');
    const curve =
      oid === EC_OID && parameters?.tag === UNIVERSAL.OID ? CURVES[oidText(algorithm, parameters)] : undefined;
    return publicKeyJwk(oid, curve, bits);
  } catch {
    return undefined;
  }
}

/**
 * The public JWK of a subjectPublicKey whose algorithm OID and curve name (EC) are already
 * known, as a parsed certificate knows them. Undefined where `spkiToJwk` would be.
 */
export function publicKeyJwk(oid: string, curve: string | undefined, key: Uint8Array): JsonWebKey | undefined {
  try {
    if (oid === EC_OID) {
      const size = curve ? COORDINATE_BYTES[curve] : undefined;
      if (!curve || !size || key.length !== 1 + 2 * size || key[0] !== 4) return undefined;
      const point = asBuffer(key);
      return {
        kty: 'EC',
        crv: curve,
        x: point.toString('base64url', 1, 1 + size),
        y: point.toString('base64url', 1 + size),
      };
    }
    if (oid === RSA_OID) {
      const rsa = new DerReader(key, 'MALFORMED_PUBLIC_KEY').sequence('RSAPublicKey');
      const n = rsa.expect(TagClass.Universal, UNIVERSAL.INTEGER, 'modulus').content;
      const e = rsa.expect(TagClass.Universal, UNIVERSAL.INTEGER, 'publicExponent').content;
      return { kty: 'RSA', n: unsigned(n), e: unsigned(e) };
    }
    if (oid === ED25519_OID && key.length === 32)
      return { kty: 'OKP', crv: 'Ed25519', x: asBuffer(key).toString('base64url') };
    return undefined;
  } catch {
    return undefined;
  }
}

const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/** RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order, base64url. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty ? THUMBPRINT_MEMBERS[jwk.kty] : undefined;
  if (!members) throw new TypeError(`no JWK thumbprint for key type ${String(jwk.kty)}`);
  const canonical = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify((jwk as Record<string, unknown>)[name])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}
