import { asBuffer } from '../../crypto/bytes.js';
import { sha256 } from '../../crypto/keys.js';

/** TEAMID.bundleId: Apple's ten-character team id, a dot, the bundle identifier. */
export const APPLE_APP_ID_PATTERN = '^[A-Z0-9]{10}\\.[A-Za-z0-9][A-Za-z0-9.-]*$';

const APP_ID = new RegExp(APPLE_APP_ID_PATTERN);

export const isAppleAppId = (text: string) => APP_ID.test(text);

/** The rpIdHash App Attest puts in authenticator data: SHA-256 of "TEAMID.bundleId". */
export const rpIdHash = (appId: string) => sha256(Buffer.from(appId, 'utf8'));

/** The accepted app ids, looked up by rpIdHash. A bad or empty list is a programming mistake (TypeError); configuration is checked before. */
export class AppIds {
  private readonly byHash = new Map<string, string>();

  constructor(appIds: readonly string[]) {
    if (appIds.length === 0) throw new TypeError('AppIds: App Attest verification needs at least one TEAMID.bundleId');
    for (const appId of appIds) {
      if (!isAppleAppId(appId)) throw new TypeError(`AppIds: ${JSON.stringify(appId)} is not TEAMID.bundleId`);
      this.byHash.set(rpIdHash(appId).toString('hex'), appId);
    }
  }

  /** The app id whose hash this is, or undefined. */
  match(hash: Uint8Array): string | undefined {
    return this.byHash.get(asBuffer(hash).toString('hex'));
  }

  get list(): string[] {
    return [...this.byHash.values()];
  }
}
