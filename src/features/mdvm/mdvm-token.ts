import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { UUID } from '../../challenges/encoding.js';
import { BoundedCache } from '../../crypto/bounded-cache.js';
import { decodeCompactJws, signCompactJws, verifyEs256 } from '../../crypto/jose/compact-jws.js';
import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { verifySignature } from '../../crypto/x509/signatures.js';
import { contentError, timeError, trustError } from '../../errors.js';
import type { MdvmSigningKey } from './signing-keys.js';

export type MdvmTokenFormat = 'reference' | 'documented';

export const MDVM_TOKEN_TYPES: Record<MdvmTokenFormat, string> = {
  reference: 'mdvm-token+jwt',
  documented: 'mdvm-token-jwt',
};

export interface IssuedMdvmToken {
  token: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/** An mdvm_token for a wallet instance: ES256, binding its auth key (cnf) to its mdvm_wi_id. */
export async function issueMdvmToken(
  key: MdvmSigningKey,
  options: {
    format: MdvmTokenFormat;
    issuer: string;
    accountId: string;
    authJwk: JsonWebKey;
    now: number;
    lifetimeSeconds: number;
  },
): Promise<IssuedMdvmToken> {
  const iat = Math.floor(options.now / 1000);
  const expiresAt = iat + options.lifetimeSeconds;
  const { kty, crv, x, y } = options.authJwk;
  const jwk = { kty, crv, x, y };
  const reference = options.format === 'reference';
  const token = signCompactJws(
    {
      alg: 'ES256',
      typ: MDVM_TOKEN_TYPES[options.format],
      kid: key.kid,
      ...(reference ? { x5c: key.x5c } : {}),
    },
    { iss: options.issuer, iat, exp: expiresAt, mdvm_wi_id: options.accountId, cnf: reference ? { jwk } : jwk },
    key.privateKey,
  );
  return { token, expiresAt };
}

/** What a relying backend trusts: the MDVM's issuer name and its keys (from the JWKS) and/or its pinned root. */
export interface MdvmTrust {
  issuer: string;
  /** Signing keys by kid (GET /v1/mdvm/jwks.json). */
  keys?: Map<string, KeyObject>;
  /** Pinned MDVM root: an x5c chain ending in it is accepted too. */
  root?: ParsedCertificate;
  /** Accepted token forms (default: both). */
  formats?: MdvmTokenFormat[];
  /** Seconds of clock skew tolerated on exp/iat (default 30). */
  clockToleranceSeconds?: number;
}

export interface VerifiedMdvmToken {
  accountId: string;
  /** The wallet instance's auth key (cnf). */
  authJwk: JsonWebKey;
  authKey: KeyObject;
  /** Epoch seconds. */
  expiresAt: number;
  kid: string | undefined;
  format: MdvmTokenFormat;
}

/** Keys from a JWKS document, by kid: the shared JOSE helper, exported here for relying backends. */
export { keysFromJwks } from '../../crypto/jose/es256-keys.js';

const invalid = (detail: string) => trustError('MDVM_TOKEN_INVALID', 'The mdvm_token is not valid.', { detail });

/** Leaves (from the parse cache) whose x5c chain to the pinned root has been verified: the chain repeats on every token. */
const verifiedLeaves = new WeakMap<ParsedCertificate, ParsedCertificate>();

/** The signing key of a token: by kid from the trusted keys, else through its x5c chain to the pinned root. */
function signingKey(header: Record<string, unknown>, trust: MdvmTrust, now: number): KeyObject {
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const known = kid ? trust.keys?.get(kid) : undefined;
  if (known) return known;
  const root = trust.root;
  if (root && Array.isArray(header.x5c) && header.x5c.length >= 1 && header.x5c.length <= 4) {
    const chain = (header.x5c as unknown[]).map((entry) => {
      if (typeof entry !== 'string') throw invalid('x5c entry is not a string');
      return parseCertificate(Buffer.from(entry, 'base64'), 'MDVM_TOKEN_MALFORMED');
    });
    const leaf = chain[0]!;
    if (now < leaf.notBefore || now > leaf.notAfter) throw invalid('the signing certificate is outside its validity');
    if (verifiedLeaves.get(leaf) !== root) {
      for (let i = 0; i < chain.length; i++) {
        const certificate = chain[i]!;
        if (i === chain.length - 1 && certificate.der.equals(root.der)) break;
        const issuer = chain[i + 1] ?? root;
        if (
          !verifySignature(certificate.signatureAlgorithm, certificate.tbs, certificate.signature, issuer.publicKey())
        )
          throw invalid(`x5c[${i}] is not signed by its issuer`);
      }
      verifiedLeaves.set(leaf, root);
    }
    return leaf.publicKey();
  }
  throw invalid(`no trusted key for kid ${String(kid)}`);
}

/** Wallet auth keys by coordinates: a wallet presents the same key for hours (cached public data). */
const authKeys = new BoundedCache<string, KeyObject>(4096);

function authKeyOf(jwk: JsonWebKey): KeyObject {
  const id = `${jwk.x}.${jwk.y}`;
  let key = authKeys.get(id);
  if (!key) {
    try {
      key = authKeys.set(
        id,
        createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! }, format: 'jwk' }),
      );
    } catch {
      throw invalid('cnf key is not a point on P-256');
    }
  }
  return key;
}

const malformed = (detail: string) => contentError('MDVM_TOKEN_MALFORMED', 'The mdvm_token is malformed.', { detail });

/**
 * Verifies an mdvm_token as a relying backend must: typ (either form unless restricted), alg
 * ES256, signature by a trusted MDVM key (synchronously), iss, exp (and iat not in the future),
 * a UUID mdvm_wi_id and a P-256 cnf key. Throws KeywardErrors (MDVM_TOKEN_MALFORMED,
 * MDVM_TOKEN_INVALID, MDVM_TOKEN_EXPIRED).
 */
export async function verifyMdvmToken(token: string, trust: MdvmTrust, now: number): Promise<VerifiedMdvmToken> {
  const jws = decodeCompactJws(token, malformed);
  const { header, payload: claims } = jws;
  const formats = trust.formats ?? ['reference', 'documented'];
  const format = formats.find((candidate) => MDVM_TOKEN_TYPES[candidate] === header.typ);
  if (!format) throw invalid(`typ ${JSON.stringify(header.typ)}`);
  if (header.alg !== 'ES256') throw invalid(`alg ${JSON.stringify(header.alg)}`);
  if (header.crit !== undefined) throw invalid('crit is not supported');
  if (!verifyEs256(jws, signingKey(header, trust, now))) throw invalid('signature');
  if (claims.iss !== trust.issuer) throw invalid(`iss ${JSON.stringify(claims.iss)}`);
  const tolerance = (trust.clockToleranceSeconds ?? 30) * 1000;
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number')
    throw malformed('exp and iat are required numbers');
  if (claims.exp * 1000 <= now - tolerance) throw timeError('MDVM_TOKEN_EXPIRED', 'The mdvm_token has expired.');
  if (claims.iat * 1000 > now + tolerance) throw invalid('iat lies in the future');
  const accountId = claims.mdvm_wi_id;
  if (typeof accountId !== 'string' || !UUID.test(accountId)) throw invalid('mdvm_wi_id is not a UUID');
  const cnf = claims.cnf as Record<string, unknown> | undefined;
  const jwk = (format === 'reference' ? cnf?.jwk : cnf) as JsonWebKey | undefined;
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string')
    throw invalid('cnf does not hold a P-256 JWK');
  return {
    accountId,
    authJwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
    authKey: authKeyOf(jwk),
    expiresAt: claims.exp,
    kid: typeof header.kid === 'string' ? header.kid : undefined,
    format,
  };
}
