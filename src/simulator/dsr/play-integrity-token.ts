import { createPrivateKey, type KeyObject } from 'node:crypto';
import { CompactEncrypt, CompactSign } from 'jose';
import { type IntegrityNonceSuffix, integrityNonceText } from '../../attestation/dsr/nonce-derivations.js';
import { simulatorPlayIntegrityFile } from '../roots.js';
import { DSR_ANDROID_PACKAGE, DSR_ANDROID_SIGNER_DIGEST, DSR_ANDROID_VERSION_CODE } from './app-identity.js';

/**
 * Play Integrity tokens as Google's servers would hand them to the simulated app: the verdict
 * signed ES256 by the simulator's stand-in for Google's key, encrypted A256KW/A256GCM under the
 * app's decryption key (assets/simulator/dsr-play-integrity.json). For tests and demos only.
 */
export interface PlayIntegritySigningKeys {
  decryptionKey: Buffer;
  signingKey: KeyObject;
}

let shipped: PlayIntegritySigningKeys | undefined;

/** The published simulator keys (what `--trust-simulator-roots` trusts through simulatorPlayIntegrityKeys()). */
export function simulatorPlayIntegritySigningKeys(): PlayIntegritySigningKeys {
  if (!shipped) {
    const file = simulatorPlayIntegrityFile();
    shipped = {
      decryptionKey: Buffer.from(file.decryptionKey, 'base64'),
      signingKey: createPrivateKey(file.signingKey),
    };
  }
  return shipped;
}

export interface SimulatedVerdictOptions {
  /** The DSR nonce bytes and the suffix whose derivation the app requested the verdict for. */
  nonce: Uint8Array;
  suffix: IntegrityNonceSuffix;
  /** Epoch ms of the request (requestDetails.timestampMillis). */
  at: number;
  packageName?: string;
  /** Replaces the nonce text (for refusals). */
  nonceText?: string;
  deviceRecognitionVerdict?: string[];
  appRecognitionVerdict?: string;
}

/**
 * The verdict payload in Google's shape: int64 fields (timestampMillis, versionCode) as JSON
 * strings, as the Play Integrity API writes them.
 */
export function simulatedVerdict(options: SimulatedVerdictOptions): Record<string, unknown> {
  const packageName = options.packageName ?? DSR_ANDROID_PACKAGE;
  return {
    requestDetails: {
      requestPackageName: packageName,
      timestampMillis: String(options.at),
      nonce: options.nonceText ?? integrityNonceText(options.nonce, options.suffix),
    },
    appIntegrity: {
      appRecognitionVerdict: options.appRecognitionVerdict ?? 'PLAY_RECOGNIZED',
      packageName,
      certificateSha256Digest: [DSR_ANDROID_SIGNER_DIGEST],
      versionCode: String(DSR_ANDROID_VERSION_CODE),
    },
    deviceIntegrity: { deviceRecognitionVerdict: options.deviceRecognitionVerdict ?? ['MEETS_DEVICE_INTEGRITY'] },
    accountDetails: { appLicensingVerdict: 'LICENSED' },
  };
}

/** A Play Integrity token (compact JWE holding the ES256 JWS) for `payload`. */
export async function playIntegrityToken(
  payload: Record<string, unknown>,
  keys: PlayIntegritySigningKeys = simulatorPlayIntegritySigningKeys(),
): Promise<string> {
  const jws = await new CompactSign(Buffer.from(JSON.stringify(payload), 'utf8'))
    .setProtectedHeader({ alg: 'ES256' })
    .sign(keys.signingKey);
  return new CompactEncrypt(Buffer.from(jws, 'ascii'))
    .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM' })
    .encrypt(keys.decryptionKey);
}
