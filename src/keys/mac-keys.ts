import { randomBytes } from 'node:crypto';

/** A MAC key for HS256 challenge tokens. The newest key signs; every listed key verifies (rotation by kid). */
export interface MacKey {
  kid: string;
  secret: Buffer;
  createdAt: number;
}

export const MIN_MAC_SECRET_BYTES = 32;

export class MacKeyRing {
  private readonly byKid: Map<string, MacKey>;
  readonly current: MacKey;

  constructor(keys: readonly MacKey[]) {
    if (keys.length === 0) throw new TypeError('a MAC key ring needs at least one key');
    this.byKid = new Map(keys.map((key) => [key.kid, key]));
    if (this.byKid.size !== keys.length) throw new TypeError('MAC key ids must be unique');
    this.current = [...keys].sort((a, b) => b.createdAt - a.createdAt)[0]!;
  }

  get(kid: string): MacKey | undefined {
    return this.byKid.get(kid);
  }
}

/**
 * The key file is JSON {"keys":[{"kid","secret":"<base64url, ≥32 bytes>","createdAt":"<ISO-8601>"}]}.
 * To rotate, add a newer key and remove the old one after the longest token lifetime has passed.
 */
export function parseMacKeyFile(text: string, source: string): MacKeyRing {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError(`${source} is not JSON`);
  }
  const entries = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(entries) || entries.length === 0)
    throw new TypeError(`${source} must hold {"keys":[…]} with at least one key`);
  const keys = entries.map((entry: { kid?: unknown; secret?: unknown; createdAt?: unknown } | null, index): MacKey => {
    const where = `${source} keys[${index}]`;
    if (typeof entry?.kid !== 'string' || entry.kid === '')
      throw new TypeError(`${where}.kid must be a non-empty string`);
    const secret = typeof entry.secret === 'string' ? Buffer.from(entry.secret, 'base64url') : Buffer.alloc(0);
    if (secret.length < MIN_MAC_SECRET_BYTES)
      throw new TypeError(`${where}.secret must be base64url of at least ${MIN_MAC_SECRET_BYTES} bytes`);
    const createdAt = typeof entry.createdAt === 'string' ? Date.parse(entry.createdAt) : Number.NaN;
    if (Number.isNaN(createdAt)) throw new TypeError(`${where}.createdAt must be an ISO-8601 time`);
    return { kid: entry.kid, secret, createdAt };
  });
  return new MacKeyRing(keys);
}

export function generateMacKeyFile(now: number): string {
  const key = {
    kid: `mac-${randomBytes(6).toString('hex')}`,
    secret: randomBytes(32).toString('base64url'),
    createdAt: new Date(now).toISOString(),
  };
  return `${JSON.stringify({ keys: [key] }, null, 2)}\n`;
}
