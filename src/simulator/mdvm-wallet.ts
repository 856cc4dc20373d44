import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { emulatedKeyClientData } from '../attestation/apple/emulated-key.js';
import { contentDigest } from '../crypto/http-message/content-digest.js';
import { signHttpMessage, type EcdsaEncoding, type HttpMessageParts } from '../crypto/http-message/http-signatures.js';
import { ecPoint, sha256, spkiOf } from '../crypto/keys.js';
import type {
  AndroidRegistration,
  AndroidRenewal,
  ChallengeReply,
  IosRegistration,
  IosRenewal,
  RegistrationReply,
  RenewalReply,
} from '../features/mdvm/schemas.js';
import type { AndroidDeviceSimulator } from './android/device.js';
import type { SimulatedAppleDevice } from './apple/device.js';
import { SIMULATOR_PACKAGE } from './defaults.js';
import { fetchTransport, type HttpTransport } from './warden-client.js';

/** What the simulated Android device reports and attests. */
export interface AndroidWalletState {
  /** KeyMint form, e.g. 150000 = Android 15. */
  osVersion: number;
  /** YYYYMM */
  osPatchLevel: number;
  packageName: string;
  appVersion: number;
  model: string;
  product: string;
  device: string;
  /** Attest model/product/device as hardware-enforced ids (device id attestation). */
  attestIds: boolean;
  deviceLocked: boolean;
}

export interface IosWalletState {
  /** What the app reports (wi_device_class.systemVersion). */
  systemVersion: string;
  model: string;
  hardwareModel: string;
  /** The OS version App Attest signs into the credential certificate: systemVersion when absent, null for none (an old iOS). */
  attestedOsVersion?: string | null;
}

export interface WalletResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface SignedWalletRequest {
  headers: Record<string, string>;
  body: Buffer;
}

const REGISTER = ['@method', '@path', 'auth-challenge', 'content-digest'];
const RENEWAL = ['@method', '@path', 'mdvm-wi-id', 'auth-challenge', 'content-digest'];

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * A simulated wallet instance (docs/protocols/mdvm.md) on a simulated Android or iOS device: it
 * registers with an MDVM, renews its mdvm_token, and signs requests to relying backends with
 * its auth key, exactly as the wallet app does — HTTP message signatures, Content-Digest,
 * attestations bound to SHA-256 of the challenge. Its state can be changed between calls to
 * play updates, downgrades or another device.
 */
export class SimulatedWalletInstance {
  mdvmWiId: string | undefined;
  mdvmToken: string | undefined;
  /** Fields the app reports in wi_device_class over what the device is (to play an app lying about its device). */
  reportedOverrides: Record<string, string> = {};
  /** How MDVM requests are signed: 'der' as the reference wallet does (Java's SHA256withECDSA), 'raw' as RFC 9421 says. */
  signatureEncoding: EcdsaEncoding = 'raw';
  /** Write the alg parameter into MDVM signatures (the reference wallet always does; the reference MDVM requires it). */
  signWithAlg = true;
  private authKey: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

  private constructor(
    readonly platform: 'android' | 'ios',
    private readonly device: { android?: AndroidDeviceSimulator; ios?: SimulatedAppleDevice },
    readonly android: AndroidWalletState,
    readonly ios: IosWalletState,
    private readonly transport: HttpTransport,
  ) {}

  static forAndroid(
    device: AndroidDeviceSimulator,
    state: Partial<AndroidWalletState> = {},
    transport: HttpTransport = fetchTransport,
  ): SimulatedWalletInstance {
    const now = new Date();
    const android: AndroidWalletState = {
      osVersion: 150000,
      osPatchLevel: now.getUTCFullYear() * 100 + now.getUTCMonth() + 1,
      packageName: SIMULATOR_PACKAGE,
      appVersion: 10,
      model: 'Pixel 8',
      product: 'shiba',
      device: 'shiba',
      attestIds: true,
      deviceLocked: true,
      ...state,
    };
    return new SimulatedWalletInstance(
      'android',
      { android: device },
      android,
      { systemVersion: '', model: '', hardwareModel: '' },
      transport,
    );
  }

  static forIos(
    device: SimulatedAppleDevice,
    state: Partial<IosWalletState> = {},
    transport: HttpTransport = fetchTransport,
  ): SimulatedWalletInstance {
    const ios: IosWalletState = { systemVersion: '18.2', model: 'iPhone', hardwareModel: 'iPhone15,3', ...state };
    return new SimulatedWalletInstance('ios', { ios: device }, {} as AndroidWalletState, ios, transport);
  }

  /** The auth key pair (to play another instance presenting it). */
  get authKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } | undefined {
    return this.authKey;
  }

  /** The auth key's SubjectPublicKeyInfo, base64 (wi_mdvm_auth_pubk). */
  get authPublicKey(): string | undefined {
    return this.authKey ? b64(spkiOf(this.authKey.publicKey)) : undefined;
  }

  /** The wi_device_class the app reports. */
  deviceClass(): Record<string, string> {
    if (this.platform === 'ios') {
      const { systemVersion, model, hardwareModel } = this.ios;
      return {
        systemVersion,
        uname: '',
        model,
        hardwareModel,
        osVersion: `Version ${systemVersion}`,
        ...this.reportedOverrides,
      };
    }
    const { model, product, device, osVersion, osPatchLevel } = this.android;
    const patch = String(osPatchLevel);
    return {
      model,
      device,
      product,
      hardware: device,
      versionPatch: `${patch.slice(0, 4)}-${patch.slice(4, 6)}-05`,
      versionRelease: String(Math.floor(osVersion / 10000)),
      ...this.reportedOverrides,
    };
  }

  async challenge(mdvmUrl: string): Promise<string> {
    const response = await this.transport({ method: 'POST', url: `${mdvmUrl}/v1/mdvm/challenge` });
    if (response.status !== 200)
      throw new Error(`POST /v1/mdvm/challenge answered ${response.status}: ${response.text}`);
    return (JSON.parse(response.text) as ChallengeReply).mdvm_auth_challenge;
  }

  /** Registers (a fresh auth key for every registration, as the apps must). */
  async register(
    mdvmUrl: string,
    options: {
      challenge?: string;
      tamper?: (
        request: SignedWalletRequest,
      ) => void /** iOS: register this auth key (another instance's, to test uniqueness). */;
      authKey?: { privateKey: KeyObject; publicKey: KeyObject };
      /** Attest for this challenge instead of the request's (an attestation made for another challenge). */
      attestationChallenge?: string;
    } = {},
  ): Promise<WalletResponse> {
    const challenge = options.challenge ?? (await this.challenge(mdvmUrl));
    const nonce = sha256(Buffer.from(options.attestationChallenge ?? challenge, 'utf8'));
    let body: AndroidRegistration | IosRegistration;
    if (this.platform === 'android') {
      const attestation = await this.attestAndroid(nonce);
      this.authKey = { privateKey: attestation.privateKey, publicKey: attestation.publicKey };
      body = {
        wi_mdvm_auth_pubk: this.authPublicKey!,
        wi_device_class: this.deviceClass(),
        wi_android_key_attestation: attestation.chain.map(b64),
      };
    } else {
      this.authKey = options.authKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const clientData = this.iosClientData(nonce);
      const device = this.device.ios!;
      const attested = this.ios.attestedOsVersion === undefined ? this.ios.systemVersion : this.ios.attestedOsVersion;
      const attestation = await device.attest(clientData, {
        at: Date.now(),
        os: attested === null ? null : { version: attested, build: '22C152' },
      });
      body = {
        wi_mdvm_auth_pubk: this.authPublicKey!,
        wi_device_class: this.deviceClass(),
        pap_devicecheck_attestation: b64(attestation),
        pap_devicecheck_assertion: b64(device.assert(clientData)),
      };
    }
    const path = `/v1/mdvm/${this.platform}/register`;
    const request = this.sign(path, challenge, body, [
      { label: 'mdvm-auth-sig', keyid: 'wi-mdvm-auth-key', key: this.authKey.privateKey, components: REGISTER },
    ]);
    options.tamper?.(request);
    const response = await this.post(`${mdvmUrl}${path}`, request);
    if (response.status === 200) {
      const reply = response.body as RegistrationReply;
      this.mdvmWiId = reply.mdvm_wi_id;
      this.mdvmToken = reply.mdvm_token;
    }
    return response;
  }

  /** Renews the mdvm_token: Android re-attests a fresh key that countersigns; iOS asserts with its App Attest key. */
  async renew(
    mdvmUrl: string,
    options: {
      challenge?: string;
      tamper?: (
        request: SignedWalletRequest,
      ) => void /** iOS: assert with this counter (a replay when not above the last). */;
      assertionCounter?: number;
    } = {},
  ): Promise<WalletResponse> {
    if (!this.authKey || !this.mdvmWiId) throw new Error('register first');
    const challenge = options.challenge ?? (await this.challenge(mdvmUrl));
    const nonce = sha256(Buffer.from(challenge, 'utf8'));
    const path = `/v1/mdvm/${this.platform}/renewal`;
    const signers = [
      { label: 'mdvm-auth-sig', keyid: 'wi-mdvm-auth-key', key: this.authKey.privateKey, components: RENEWAL },
    ];
    let body: AndroidRenewal | IosRenewal;
    if (this.platform === 'android') {
      const reattest = await this.attestAndroid(nonce);
      body = { wi_device_class: this.deviceClass(), wi_android_key_attestation: reattest.chain.map(b64) };
      signers.push({
        label: 'mdvm-reattest-sig',
        keyid: 'wi-mdvm-reattest-key',
        key: reattest.privateKey,
        components: RENEWAL,
      });
    } else {
      const counter = options.assertionCounter === undefined ? {} : { counter: options.assertionCounter };
      body = {
        wi_device_class: this.deviceClass(),
        pap_devicecheck_assertion: b64(this.device.ios!.assert(this.iosClientData(nonce), counter)),
      };
    }
    const request = this.sign(path, challenge, body, signers, { 'mdvm-wi-id': this.mdvmWiId });
    options.tamper?.(request);
    const response = await this.post(`${mdvmUrl}${path}`, request);
    if (response.status === 200) this.mdvmToken = (response.body as RenewalReply).mdvm_token;
    return response;
  }

  /**
   * A request to a relying backend (wallet backend, RWSCD) the way the reference apps send it:
   * Auth-Challenge (the backend's), Mdvm-Token, Content-Digest, signed under `label` with the auth key.
   */
  signRelyingRequest(options: {
    method: string;
    path: string;
    challenge: string;
    body?: unknown;
    label: string;
    extraHeaders?: Record<string, string>;
  }): SignedWalletRequest {
    if (!this.authKey || !this.mdvmToken) throw new Error('register first');
    const body = Buffer.from(options.body === undefined ? '' : JSON.stringify(options.body));
    const headers: Record<string, string> = {
      'auth-challenge': options.challenge,
      'mdvm-token': this.mdvmToken,
      ...options.extraHeaders,
    };
    const components = ['@method', '@path', 'auth-challenge', 'mdvm-token', ...Object.keys(options.extraHeaders ?? {})];
    if (body.length > 0) {
      headers['content-digest'] = contentDigest(body);
      components.push('content-digest');
    }
    const signature = signHttpMessage(
      { method: options.method, target: options.path, headers },
      {
        label: options.label,
        components,
        key: this.authKey.privateKey,
        algorithm: 'ecdsa-p256-sha256',
        keyid: 'wi-auth-key',
        created: Math.floor(Date.now() / 1000),
      },
    );
    return {
      headers: { ...headers, 'signature-input': signature.signatureInput, signature: signature.signature },
      body,
    };
  }

  private async attestAndroid(nonce: Buffer) {
    const state = this.android;
    return this.device.android!.attest({
      challenge: nonce,
      osVersion: state.osVersion,
      osPatchLevel: state.osPatchLevel,
      packageName: state.packageName,
      packageVersion: state.appVersion,
      deviceLocked: state.deviceLocked,
      ...(state.attestIds ? { model: state.model, product: state.product, device: state.device } : {}),
    });
  }

  private iosClientData(nonce: Buffer): Buffer {
    return emulatedKeyClientData(ecPoint(this.authKey!.publicKey), nonce);
  }

  private sign(
    path: string,
    challenge: string,
    body: unknown,
    signers: { label: string; keyid: string; key: KeyObject; components: string[] }[],
    extra: Record<string, string> = {},
  ): SignedWalletRequest {
    const raw = Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      'auth-challenge': challenge,
      'content-digest': contentDigest(raw),
      ...extra,
    };
    const message: HttpMessageParts = { method: 'POST', target: path, headers };
    const created = Math.floor(Date.now() / 1000);
    const signatures = signers.map((signer) =>
      signHttpMessage(message, {
        label: signer.label,
        components: signer.components,
        key: signer.key,
        algorithm: 'ecdsa-p256-sha256',
        keyid: signer.keyid,
        created,
        ecdsaEncoding: this.signatureEncoding,
        includeAlg: this.signWithAlg,
      }),
    );
    return {
      headers: {
        ...headers,
        'signature-input': signatures.map((s) => s.signatureInput).join(', '),
        signature: signatures.map((s) => s.signature).join(', '),
      },
      body: raw,
    };
  }

  private async post(url: string, request: SignedWalletRequest): Promise<WalletResponse> {
    const response = await this.transport({
      method: 'POST',
      url,
      body: request.body,
      contentType: 'application/json',
      headers: request.headers,
    });
    return { status: response.status, body: JSON.parse(response.text) as Record<string, unknown> };
  }
}
