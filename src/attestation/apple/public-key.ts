import type { KeyObject } from 'node:crypto';
import { toJwk } from '../../crypto/keys.js';
import type { AttestedPublicKey } from '../result.js';

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
