import type { KeyObject } from 'node:crypto';
import { toJwk } from '../../crypto/keys.js';
import type { AttestedPublicKey } from '../result.js';

/** An App Attest key (always EC P-256) for the result, built from its point without importing it. */
export function describeP256Key(spki: Uint8Array, point: Uint8Array): AttestedPublicKey {
  return {
    algorithm: 'EC',
    curve: 'P-256',
    spki: Buffer.from(spki).toString('base64'),
    supported: true,
    jwk: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(point.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(point.subarray(33, 65)).toString('base64url'),
    },
  };
}

/** A stored App Attest key for the result of an assertion. */
export function describeKeyObject(key: KeyObject): AttestedPublicKey {
  const described: AttestedPublicKey = {
    algorithm: 'EC',
    curve: 'P-256',
    spki: key.export({ format: 'der', type: 'spki' }).toString('base64'),
    supported: true,
  };
  const jwk = toJwk(key);
  if (jwk) described.jwk = jwk;
  return described;
}
