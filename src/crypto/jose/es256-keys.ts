import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** One ES256 signing key of a key ring: P-256, named by its kid. */
export interface Es256SigningKey {
  kid: string;
  /** Epoch milliseconds; the newest key that exists signs. */
  createdAt: number;
  privateKey: KeyObject;
  /** The public key as a bare EC JWK (kty, crv, x, y). */
  publicJwk: JsonWebKey;
}

/**
 * A rotating ring of ES256 signing keys: the newest signs, every listed key is published in the
 * JWKS, so tokens signed before a rotation stay verifiable until the old key is removed. A key
 * whose createdAt lies ahead is published but signs only from then on (`signingKey(now)`), so
 * verifiers that cache the JWKS learn it before the first token signed with it arrives.
 */
export class Es256KeyRing<K extends Es256SigningKey = Es256SigningKey> {
  /** Newest first. */
  readonly keys: K[];
  /** Every key's public JWK with kid, use and alg, plus what `publish` adds per key (an x5c, say). */
  readonly jwks: { keys: JsonWebKey[] };

  constructor(keys: readonly K[], publish: (key: K) => Record<string, unknown> = () => ({})) {
    if (keys.length === 0) throw new TypeError('a signing key ring needs at least one key');
    this.keys = [...keys].sort((a, b) => b.createdAt - a.createdAt);
    this.jwks = {
      keys: this.keys.map(
        (key) => ({ ...key.publicJwk, kid: key.kid, use: 'sig', alg: 'ES256', ...publish(key) }) as JsonWebKey,
      ),
    };
  }

  /** The newest key. */
  get current(): K {
    return this.keys[0]!;
  }

  /** The key that signs at `now`: the newest one already created (the oldest if all lie ahead). */
  signingKey(now: number): K {
    return this.keys.find((key) => key.createdAt <= now) ?? this.keys.at(-1)!;
  }

  find(kid: string): K | undefined {
    return this.keys.find((key) => key.kid === kid);
  }
}

/** The entries of a signing-keys file (`{"keys":[…]}`), unchecked; TypeErrors say what is wrong. */
export function signingKeyFileEntries(text: string): unknown[] {
  let parsed: { keys?: unknown };
  try {
    parsed = JSON.parse(text) as { keys?: unknown };
  } catch (error) {
    throw new TypeError(`not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new TypeError('"keys" must be a non-empty array');
  return parsed.keys;
}

/** A PEM private key that must be EC P-256, with its public JWK; TypeErrors say what is wrong under `where`. */
export function parseEs256PrivateKey(pem: string, where: string): { privateKey: KeyObject; publicJwk: JsonWebKey } {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new TypeError(`${where}: privateKey is not a PEM private key (${(error as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new TypeError(`${where}: the key must be EC P-256 (ES256)`);
  const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, publicJwk: { kty, crv, x, y } };
}

/** Keys from a JWKS document, by kid (EC P-256 signing keys only; others are skipped). */
export function keysFromJwks(jwks: { keys?: unknown }): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  if (!Array.isArray(jwks.keys)) throw new TypeError('a JWKS needs a "keys" array');
  for (const jwk of jwks.keys as JsonWebKey[]) {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.kid !== 'string') continue;
    const { kty, crv, x, y } = jwk;
    keys.set(jwk.kid, createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' }));
  }
  return keys;
}
