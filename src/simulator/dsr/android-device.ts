import { SimulatedDsrDevice } from './dsr-device.js';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { KEY_DESCRIPTION_OID, KEY_PURPOSE } from '../../attestation/android/constants.js';
import { attestKeyChallenge } from '../../attestation/dsr/android-registration.js';
import { deriveNonce, NONCE_SUFFIXES } from '../../attestation/dsr/nonce-derivations.js';
import { ecPoint, spkiOf } from '../../crypto/keys.js';
import { buildCertificate, encodeName, keyIdentifier, type Signer } from '../../crypto/x509/certificate-builder.js';
import { AndroidDeviceSimulator } from '../android/device.js';
import { encodeKeyDescription, type SimulatedRecord } from '../android/key-description-encoder.js';
import {
  DSR_ANDROID_PACKAGE,
  DSR_ANDROID_SIGNER_DIGEST,
  DSR_ANDROID_VERSION_CODE,
  DSR_SDK_ISSUER,
} from './app-identity.js';
import { MtlsIdentity, nonceBytes } from './mtls-identity.js';
import { type PlayIntegritySigningKeys, playIntegrityToken, simulatedVerdict } from './play-integrity-token.js';
import { registrationCsr } from './registration-csr.js';
import { sha256 } from '../../crypto/keys.js';

/**
 * A simulated DSR Android client (gematik poc-dsr-android): at registration it generates an
 * attest key (purpose ATTEST_KEY, challenge SHA-256(nonce ‖ "ATTEST")) and the mTLS key under it
 * (challenge SHA-256(nonce ‖ "KEYPAIR_MTLS")), with key attestation chains under the simulator's
 * Android root; for each device attestation a fresh key under the same attest key (challenge
 * SHA-256(nonce ‖ "1")). Play Integrity verdicts are real JWEs under the simulator's Play
 * Integrity keys. It presents the reference app, so the default master data and policies allow
 * it. For tests and demos only.
 */

const KEY_SUBJECT = encodeName([['2.5.4.3', 'Android Keystore Key']]);
/** DevicePolicyManager.PASSWORD_COMPLEXITY_HIGH. */
export const PASSWORD_COMPLEXITY_HIGH = 327680;

export interface DsrAndroidDeviceOptions {
  /** The device whose key attestation chains it sends; default one under the shipped simulator root. */
  device?: AndroidDeviceSimulator;
  /** Default the simulator's published keys. */
  playIntegrity?: PlayIntegritySigningKeys;
  model?: string;
  /** Build.VERSION.SECURITY_PATCH (YYYY-MM-DD); default the first of the month of each token's time. */
  securityPatch?: string;
  passwordComplexity?: number;
}

/** Deviations from a genuine registration, for refusal tests. */
export interface AndroidRegistrationVariant {
  wrongAttestChallenge?: boolean;
  wrongMtlsChallenge?: boolean;
  wrongCsrChallenge?: boolean;
  wrongIntegrityNonce?: boolean;
}

/** Deviations from a genuine device attestation, for refusal tests. */
export interface AndroidAttestationVariant {
  wrongChallenge?: boolean;
  wrongIntegrityNonce?: boolean;
  /** Attest the fresh key under a new attest key instead of the registered one. */
  foreignAttestKey?: boolean;
}

interface AttestKey {
  chain: Buffer[];
  signer: Signer;
}

export class SimulatedDsrAndroidDevice extends SimulatedDsrDevice {
  readonly platform = 'android';
  private attestKey: AttestKey | undefined;

  private constructor(
    private readonly device: AndroidDeviceSimulator,
    private readonly options: DsrAndroidDeviceOptions,
  ) {
    super();
  }

  static async create(options: DsrAndroidDeviceOptions = {}): Promise<SimulatedDsrAndroidDevice> {
    const device = options.device ?? (await AndroidDeviceSimulator.create({ root: 'shipped' }));
    return new SimulatedDsrAndroidDevice(device, options);
  }

  /**
   * The registration token's claims for the GMS nonce `nonce` (base64 as GET /dsr/nonce gives
   * it) at `at` (epoch ms), exactly as the reference client writes them; a new attest key and mTLS
   * key are generated. Sign them with a SimulatedHealthCard.
   */
  async registrationClaims(
    nonce: string,
    at: number,
    variant: AndroidRegistrationVariant = {},
  ): Promise<Record<string, unknown>> {
    const bytes = nonceBytes(nonce);
    const attestation = await this.device.attest(
      {
        ...this.appRecord(),
        challenge: variant.wrongAttestChallenge ? randomBytes(32) : attestKeyChallenge(bytes),
        purposes: [KEY_PURPOSE.ATTEST_KEY],
      },
      { at },
    );
    const attestKey: AttestKey = {
      chain: attestation.chain,
      signer: {
        key: attestation.privateKey,
        subjectDer: KEY_SUBJECT,
        keyIdentifier: keyIdentifier(spkiOf(attestation.publicKey)),
      },
    };
    const mtls = new MtlsIdentity();
    const subjectCert = this.keyCertificate(
      attestKey.signer,
      mtls.publicKey,
      variant.wrongMtlsChallenge ? randomBytes(32) : deriveNonce(bytes, NONCE_SUFFIXES.keypairMtls),
      at,
    );
    const csr = registrationCsr(
      mtls,
      bytes,
      variant.wrongCsrChallenge ? randomBytes(32).toString('base64') : undefined,
    );
    const integrityVerdict = await playIntegrityToken(
      simulatedVerdict({
        nonce: bytes,
        suffix: NONCE_SUFFIXES.integrity,
        at,
        ...(variant.wrongIntegrityNonce ? { nonceText: randomBytes(32).toString('base64url') } : {}),
      }),
      this.options.playIntegrity,
    );
    this.attestKey = attestKey;
    this.mtls = mtls;
    return {
      iss: DSR_SDK_ISSUER,
      sub: mtls.sub,
      iat: Math.floor(at / 1000),
      type: 'android',
      nonce,
      csr: csr.toString('base64'),
      subjectCert: subjectCert.toString('base64'),
      integrityVerdict,
      packageName: DSR_ANDROID_PACKAGE,
      attestCertChain: attestKey.chain.map((der) => der.toString('base64')),
      attestPublicKey: sha256(ecPoint(attestation.publicKey)).toString('base64'),
    };
  }

  /** The device-attestation token's claims (RFC-02) for `nonce` at `at`. */
  async attestationClaims(
    nonce: string,
    at: number,
    variant: AndroidAttestationVariant = {},
  ): Promise<Record<string, unknown>> {
    const bytes = nonceBytes(nonce);
    const identity = this.identity;
    let attestKey = this.attestKey!;
    if (variant.foreignAttestKey) {
      const other = await this.device.attest(
        { ...this.appRecord(), challenge: attestKeyChallenge(bytes), purposes: [KEY_PURPOSE.ATTEST_KEY] },
        { at },
      );
      attestKey = {
        chain: other.chain,
        signer: {
          key: other.privateKey,
          subjectDer: KEY_SUBJECT,
          keyIdentifier: keyIdentifier(spkiOf(other.publicKey)),
        },
      };
    }
    const fresh = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const leaf = this.keyCertificate(
      attestKey.signer,
      fresh.publicKey,
      variant.wrongChallenge
        ? deriveNonce(bytes, NONCE_SUFFIXES.playIntegrity)
        : deriveNonce(bytes, NONCE_SUFFIXES.attest),
      at,
    );
    const integrityVerdict = await playIntegrityToken(
      simulatedVerdict({
        nonce: bytes,
        suffix: NONCE_SUFFIXES.playIntegrity,
        at,
        ...(variant.wrongIntegrityNonce ? { nonceText: randomBytes(32).toString('base64url') } : {}),
      }),
      this.options.playIntegrity,
    );
    return {
      iss: DSR_SDK_ISSUER,
      sub: identity.sub,
      iat: Math.floor(at / 1000),
      type: 'android',
      nonce,
      attestationCertChain: [leaf, ...attestKey.chain].map((der) => der.toString('base64')),
      integrityVerdict,
      packageName: DSR_ANDROID_PACKAGE,
      deviceAttributes: this.deviceAttributes(at),
    };
  }

  /** The device-attestation token: attestationClaims signed ES256 by the mTLS key, x5c = [client certificate]. */
  async attestationToken(nonce: string, at: number, variant: AndroidAttestationVariant = {}): Promise<string> {
    const claims = await this.attestationClaims(nonce, at, variant);
    return this.identity.signAttestation(claims);
  }

  /** deviceAttributes as the reference client collects them (DeviceAttestation.DeviceAttributes). */
  deviceAttributes(at: number): Record<string, unknown> {
    const date = new Date(at);
    const month = `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}-01`;
    return {
      build: {
        version: { sdkInit: 34, securityPatch: this.options.securityPatch ?? month },
        manufacturer: 'Google',
        product: 'oriole',
        model: this.options.model ?? 'Pixel 6',
        board: 'oriole',
      },
      ro: { crypto: { state: true }, product: { firstAPILevel: 31 } },
      packageManager: { featureVerifiedBoot: true, mainLinePatchLevel: month },
      keyguardManager: { isDeviceSecure: true },
      biometricManager: { deviceCredential: true, biometricStrong: true },
      devicePolicyManager: { passwordComplexity: this.options.passwordComplexity ?? PASSWORD_COMPLEXITY_HIGH },
    };
  }

  /** The app identity KeyMint writes into every key's record (attestationApplicationId). */
  private appRecord(): Pick<SimulatedRecord, 'packageName' | 'packageVersion' | 'signerDigests'> {
    return {
      packageName: DSR_ANDROID_PACKAGE,
      packageVersion: DSR_ANDROID_VERSION_CODE,
      signerDigests: [Buffer.from(DSR_ANDROID_SIGNER_DIGEST, 'base64url')],
    };
  }

  /** A KeyMint key certificate for `key`, issued by the attest key (purpose SIGN). */
  private keyCertificate(issuer: Signer, key: KeyObject, challenge: Uint8Array, at: number): Buffer {
    return buildCertificate(
      {
        serial: Buffer.of(1),
        subjectDer: KEY_SUBJECT,
        spki: spkiOf(key),
        notBefore: 0,
        notAfter: Date.UTC(2048, 0, 1),
        extensions: [
          {
            oid: KEY_DESCRIPTION_OID,
            critical: false,
            value: encodeKeyDescription(
              { keyAlgorithm: { algorithm: 3, keySize: 256, ecCurve: 1 }, ...this.appRecord(), challenge },
              at,
            ),
          },
        ],
      },
      issuer,
    );
  }
}
