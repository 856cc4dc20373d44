import { sha256 } from '../../crypto/keys.js';

/** Authenticator data flags (WebAuthn §6.1). */
export const AUTHENTICATOR_FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export interface AuthenticatorDataFields {
  rpId: string;
  userPresent: boolean;
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  counter: number;
  /** Attested credential data (registration). */
  attested?: { aaguid: Uint8Array; credentialId: Uint8Array; coseKey: Uint8Array };
  /** CBOR map of extension outputs (sets ED). */
  extensions?: Uint8Array;
}

/** authenticatorData: rpIdHash ‖ flags ‖ signCount ‖ [attestedCredentialData] ‖ [extensions] (WebAuthn §6.1). */
export function encodeAuthenticatorData(fields: AuthenticatorDataFields): Buffer {
  const flags =
    (fields.userPresent ? AUTHENTICATOR_FLAGS.UP : 0) |
    (fields.userVerified ? AUTHENTICATOR_FLAGS.UV : 0) |
    (fields.backupEligible ? AUTHENTICATOR_FLAGS.BE : 0) |
    (fields.backedUp ? AUTHENTICATOR_FLAGS.BS : 0) |
    (fields.attested ? AUTHENTICATOR_FLAGS.AT : 0) |
    (fields.extensions ? AUTHENTICATOR_FLAGS.ED : 0);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(fields.counter);
  const parts: Uint8Array[] = [sha256(Buffer.from(fields.rpId, 'utf8')), Buffer.of(flags), counter];
  if (fields.attested) {
    const { aaguid, credentialId, coseKey } = fields.attested;
    const length = Buffer.alloc(2);
    length.writeUInt16BE(credentialId.length);
    parts.push(aaguid, length, credentialId, coseKey);
  }
  if (fields.extensions) parts.push(fields.extensions);
  return Buffer.concat(parts);
}

/** Dashed lower-case UUID → 16 bytes. */
export const aaguidBytes = (aaguid: string): Buffer => Buffer.from(aaguid.replace(/-/g, ''), 'hex');
