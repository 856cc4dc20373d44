import { generateKeyPairSync } from 'node:crypto';
import {
  Es256KeyRing,
  type Es256SigningKey,
  parseEs256PrivateKey,
  signingKeyFileEntries,
} from '../../crypto/jose/es256-keys.js';
import { jwkThumbprint } from '../../crypto/jose/jwk.js';

/** An entry of the DSR signing-keys file: `{"keys":[{kid, createdAt, privateKey}]}` (PEM PKCS#8, EC P-256). */
export interface DsrSigningKeyEntry {
  kid: string;
  createdAt: string;
  privateKey: string;
}

/**
 * The keys device tokens are signed with (ES256, kid = RFC 7638 thumbprint). The newest key
 * already created signs; every listed key is in the JWKS (GET /dsr/jwks.json). To rotate, add a
 * key with a createdAt a little ahead (PEPs fetch it before it signs), and remove the old one
 * once the last token it signed has expired (the token lifetime plus the PEPs' clock skew).
 */
export class DsrSigningKeys extends Es256KeyRing {
  /** Parses and checks the file; TypeErrors name what is wrong. */
  static parse(text: string): DsrSigningKeys {
    const seen = new Set<string>();
    const keys = (signingKeyFileEntries(text) as DsrSigningKeyEntry[]).map((entry, index): Es256SigningKey => {
      const where = `keys[${index}]`;
      const createdAt = typeof entry?.createdAt === 'string' ? Date.parse(entry.createdAt) : Number.NaN;
      if (typeof entry?.kid !== 'string' || !Number.isFinite(createdAt))
        throw new TypeError(`${where}: kid and createdAt (ISO-8601) are required`);
      const { privateKey, publicJwk } = parseEs256PrivateKey(String(entry.privateKey), where);
      if (jwkThumbprint(publicJwk) !== entry.kid) throw new TypeError(`${where}: kid must be the key's JWK thumbprint`);
      if (seen.has(entry.kid)) throw new TypeError(`${where}: the key is listed twice`);
      seen.add(entry.kid);
      return { kid: entry.kid, createdAt, privateKey, publicJwk };
    });
    return new DsrSigningKeys(keys);
  }
}

/** A new signing key as a file entry (`createdAt` = when it starts signing). */
export function generateDsrSigningKey(createdAt: number): DsrSigningKeyEntry {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const { publicJwk } = parseEs256PrivateKey(pem, 'generated');
  return { kid: jwkThumbprint(publicJwk), createdAt: new Date(createdAt).toISOString(), privateKey: pem };
}

export const dsrSigningKeyFile = (entries: DsrSigningKeyEntry[]) => `${JSON.stringify({ keys: entries }, null, 2)}\n`;
