import { randomUUID, type JsonWebKey } from 'node:crypto';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import type { AndroidPolicy } from '../../attestation/android/policy.js';
import type { KeyDescription } from '../../attestation/android/key-description.js';
import { emulatedKeyClientData } from '../../attestation/apple/emulated-key.js';
import { verifyAppleAssertion } from '../../attestation/apple/verify-assertion.js';
import type { AppleVerifier } from '../../attestation/apple/verify.js';
import type { AttestationResult } from '../../attestation/result.js';
import type { ChallengeTokens } from '../../challenges/challenge-tokens.js';
import { UUID } from '../../challenges/encoding.js';
import type { Clock } from '../../clock.js';
import type { MdvmConfig } from '../../config/mdvm.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { jwkThumbprint, spkiToJwk } from '../../crypto/jose/jwk.js';
import { importRequestKey, jwkPoint } from '../../crypto/keys.js';
import { isKeywardError } from '../../errors.js';
import { fromStore, mdvmError } from './errors.js';
import type { MdvmAccount, MdvmAccountStore, MdvmVulnerabilityStore } from '../../store/mdvm-store.js';
import {
  androidIdentity,
  checkAndroidDeviceClass,
  checkAndroidRenewal,
  checkIosRegistration,
  checkIosRenewal,
  iosIdentity,
  vulnerableClassOf,
  vulnerableError,
  type AndroidAttested,
  type DeviceIdentity,
} from './device-checks.js';
import { issueMdvmToken, type IssuedMdvmToken } from './mdvm-token.js';
import type { MdvmSigningKeys } from './signing-keys.js';
import {
  AUTH_SIGNATURE,
  REATTEST_SIGNATURE,
  REGISTER_COMPONENTS,
  RENEWAL_COMPONENTS,
  attestationNonce,
  base64Field,
  header,
  parseAuthKey,
  verifyWalletSignature,
  type AuthKey,
  type SignedRequest,
} from './wallet-request.js';
import type {
  AndroidRegistration,
  AndroidRenewal,
  ChallengeReply,
  IosRegistration,
  IosRenewal,
  RegistrationReply,
  RenewalReply,
} from './schemas.js';

export interface MdvmDependencies {
  config: MdvmConfig;
  clock: Clock;
  challenges: ChallengeTokens;
  android: AndroidVerifier;
  androidPolicy: AndroidPolicy;
  /** Absent when no wallet app id is configured: iOS registrations are refused. */
  apple?: AppleVerifier;
  accounts: MdvmAccountStore;
  vulnerabilities: MdvmVulnerabilityStore;
  signingKeys: MdvmSigningKeys;
  /** Told of every registration and renewal granted, with the trust anchors that made it possible. */
  onDecision?: (decision: MdvmDecision) => void;
}

/** A granted registration or renewal and the trust anchors its attestation (or, for an iOS renewal, the registration's) chained to. */
export interface MdvmDecision {
  operation: 'register' | 'renew';
  platform: 'android' | 'ios';
  accountId: string;
  anchors: string[];
}

/**
 * The reference answers every failed attestation with SECURITY_VIOLATION: malformed attestation
 * data and an attestation made for another challenge (CHALLENGE_MISMATCH) too, not only trust
 * failures (which toMdvmError translates). The Keyward code stays in the log detail.
 */
function attestationFailure(error: unknown): unknown {
  if (!isKeywardError(error) || error.category !== 'CONTENT') return error;
  return mdvmError('SECURITY_VIOLATION', `${error.code}${error.detail ? `: ${error.detail}` : ''}`);
}

function checkAttestation<T>(verify: () => T): T {
  try {
    return verify();
  } catch (error) {
    throw attestationFailure(error);
  }
}

/** iOS App Attest state an account keeps: the attested App Attest key and its app. */
interface IosAttested {
  appAttestPublicKey: string;
  appId: string;
  environment: string;
  /** The OS version Apple signed into the credential certificate at registration (absent when allowUnsignedOsVersion let a reported one through). */
  osVersion?: string;
  /** The anchors the registration's attestation chained to (credential certificate, receipt); absent on accounts older than it. */
  anchors?: string[];
}

/**
 * The MDVM's wallet-instance flows (docs/protocols/mdvm.md): each request is authenticated by a
 * single-use HS256 challenge and an HTTP message signature with the instance's auth key, the
 * device is attested (Android Key Attestation of the auth or re-attest key; App Attest binding
 * the auth key), checked against policy, the stored account and the vulnerability lists, and
 * answered with a fresh mdvm_token.
 */
export class MdvmService {
  constructor(private readonly deps: MdvmDependencies) {}

  async challenge(): Promise<ChallengeReply> {
    return { mdvm_auth_challenge: (await fromStore(() => this.deps.challenges.issue())).token };
  }

  async registerAndroid(request: SignedRequest, body: AndroidRegistration): Promise<RegistrationReply> {
    const { challenge, now, consume } = await this.authenticateChallenge(request);
    const auth = parseAuthKey(body.wi_mdvm_auth_pubk);
    verifyWalletSignature(request, AUTH_SIGNATURE, REGISTER_COMPONENTS, auth.key, this.window(now));
    const { result, attested } = await this.attestAndroid(body.wi_android_key_attestation, challenge, now);
    if (result.publicKey.jwk?.x !== auth.jwk.x || result.publicKey.jwk?.y !== auth.jwk.y) {
      throw mdvmError('SECURITY_VIOLATION', 'the attested key is not wi_mdvm_auth_pubk');
    }
    checkAndroidDeviceClass(attested, body.wi_device_class);
    await this.refuseVulnerable(androidIdentity(attested, body.wi_device_class), attested.chainKeys);
    await consume();
    const registered = await this.register(auth, 'android', body.wi_device_class, { ...attested }, now);
    this.deps.onDecision?.({
      operation: 'register',
      platform: 'android',
      accountId: registered.mdvm_wi_id,
      anchors: [result.anchor],
    });
    return registered;
  }

  async registerIos(request: SignedRequest, body: IosRegistration): Promise<RegistrationReply> {
    const { challenge, now, consume } = await this.authenticateChallenge(request);
    const auth = parseAuthKey(body.wi_mdvm_auth_pubk);
    verifyWalletSignature(request, AUTH_SIGNATURE, REGISTER_COMPONENTS, auth.key, this.window(now));
    const apple = this.appleVerifier();
    const clientData = emulatedKeyClientData(jwkPoint(auth.jwk), attestationNonce(challenge));
    const attestationBytes = base64Field(body.pap_devicecheck_attestation, 'pap_devicecheck_attestation');
    const attestation = checkAttestation(() => apple.verify({ attestation: attestationBytes, clientData, at: now }));
    // A device's own key: imported for this request, not kept in the process-wide key cache.
    const publicKey = importRequestKey(Buffer.from(attestation.publicKey.spki, 'base64'), attestation.publicKey.jwk);
    const assertionBytes = base64Field(body.pap_devicecheck_assertion, 'pap_devicecheck_assertion');
    const assertion = checkAttestation(() =>
      verifyAppleAssertion(
        { assertion: assertionBytes, clientData },
        { publicKey, appId: attestation.app.ids[0]!, counter: 0 },
      ),
    );
    const signedOsVersion = attestation.facts.osVersion;
    const osVersion = checkIosRegistration(body.wi_device_class, signedOsVersion, this.deps.config.ios);
    await this.refuseVulnerable(iosIdentity(body.wi_device_class, osVersion), []);
    const attested: IosAttested = {
      appAttestPublicKey: attestation.publicKey.spki,
      appId: assertion.appId,
      environment: attestation.facts.environment,
      ...(signedOsVersion === undefined ? {} : { osVersion: signedOsVersion }),
      anchors: [attestation.anchor, ...(attestation.facts.receipt ? [attestation.facts.receipt.anchor] : [])],
    };
    await consume();
    const registered = await this.register(auth, 'ios', body.wi_device_class, { ...attested }, now, {
      appAttestKeyId: attestation.facts.keyId,
      counter: assertion.counter,
    });
    this.deps.onDecision?.({
      operation: 'register',
      platform: 'ios',
      accountId: registered.mdvm_wi_id,
      anchors: attested.anchors ?? [],
    });
    return registered;
  }

  async renewAndroid(request: SignedRequest, body: AndroidRenewal): Promise<RenewalReply> {
    const { challenge, now, consume } = await this.authenticateChallenge(request);
    const { account, auth } = await this.authenticateAccount(request, 'android', now);
    const { result, attested } = await this.attestAndroid(body.wi_android_key_attestation, challenge, now);
    // The re-attest key is fresh for this renewal and signs the same request: it proves the attestation is this request's.
    verifyWalletSignature(
      request,
      REATTEST_SIGNATURE,
      RENEWAL_COMPONENTS,
      importRequestKey(Buffer.from(result.publicKey.spki, 'base64'), result.publicKey.jwk),
      this.window(now),
    );
    checkAndroidRenewal(
      { attested, deviceClass: body.wi_device_class },
      { attested: account.attested as unknown as AndroidAttested, deviceClass: account.deviceClass },
    );
    await this.refuseVulnerable(androidIdentity(attested, body.wi_device_class), attested.chainKeys);
    await consume();
    await this.save(account, body.wi_device_class, { ...attested }, 0, now);
    this.deps.onDecision?.({
      operation: 'renew',
      platform: 'android',
      accountId: account.id,
      anchors: [result.anchor],
    });
    return this.renewed(account.id, auth, now);
  }

  async renewIos(request: SignedRequest, body: IosRenewal): Promise<RenewalReply> {
    const { challenge, now, consume } = await this.authenticateChallenge(request);
    const { account, auth } = await this.authenticateAccount(request, 'ios', now);
    const stored = account.attested as unknown as IosAttested;
    const storedKey = Buffer.from(stored.appAttestPublicKey, 'base64');
    const clientData = emulatedKeyClientData(jwkPoint(auth.jwk), attestationNonce(challenge));
    const assertionBytes = base64Field(body.pap_devicecheck_assertion, 'pap_devicecheck_assertion');
    const assertion = checkAttestation(() =>
      verifyAppleAssertion(
        { assertion: assertionBytes, clientData },
        { publicKey: importRequestKey(storedKey, spkiToJwk(storedKey)), appId: stored.appId, counter: account.counter },
      ),
    );
    checkIosRenewal(body.wi_device_class, this.deps.config.ios.minOsVersion, {
      deviceClass: account.deviceClass,
      ...(stored.osVersion === undefined ? {} : { attestedOsVersion: stored.osVersion }),
    });
    await this.refuseVulnerable(iosIdentity(body.wi_device_class), []);
    await consume();
    await this.save(account, body.wi_device_class, { ...stored }, assertion.counter, now);
    this.deps.onDecision?.({
      operation: 'renew',
      platform: 'ios',
      accountId: account.id,
      anchors: stored.anchors ?? [],
    });
    return this.renewed(account.id, auth, now);
  }

  /**
   * Verifies the Auth-Challenge header and that it is unused. Each flow calls `consume` (the
   * atomic single use) only once the request's signatures and attestation verified, right before
   * the account write, so a bad request carrying a seen challenge does not burn it.
   */
  private async authenticateChallenge(
    request: SignedRequest,
  ): Promise<{ challenge: string; now: number; consume: () => Promise<void> }> {
    const challenge = header(request, 'auth-challenge');
    const { consume } = await fromStore(() => this.deps.challenges.check(challenge));
    return { challenge, now: this.deps.clock.now(), consume: () => fromStore(consume) };
  }

  /** The account named by Mdvm-Wi-Id, its auth signature checked with the stored key, not revoked, of this platform. */
  private async authenticateAccount(
    request: SignedRequest,
    platform: 'android' | 'ios',
    now: number,
  ): Promise<{ account: MdvmAccount; auth: AuthKey }> {
    const id = header(request, 'mdvm-wi-id', 64).toLowerCase();
    const notFound = () => mdvmError('ACCOUNT_NOT_FOUND', `mdvm_wi_id ${id}`);
    if (!UUID.test(id)) throw notFound();
    const account = await fromStore(() => this.deps.accounts.find(id));
    // A deleted account is a tombstone: not found for its wallet, revoked for relying backends.
    if (!account || account.revocationReason === 'deleted') throw notFound();
    const auth = parseAuthKey(account.authPublicKey);
    verifyWalletSignature(request, AUTH_SIGNATURE, RENEWAL_COMPONENTS, auth.key, this.window(now));
    if (account.revokedAt !== undefined)
      throw mdvmError(
        'ACCOUNT_REVOKED',
        `revoked ${new Date(account.revokedAt).toISOString()} (${account.revocationReason})`,
      );
    if (account.platform !== platform) throw notFound();
    return { account, auth };
  }

  private async attestAndroid(
    chain: string[],
    challenge: string,
    now: number,
  ): Promise<{ result: AttestationResult; attested: AndroidAttested }> {
    const certificates = chain.map((entry, index) => base64Field(entry, `wi_android_key_attestation[${index}]`));
    const result = await this.deps.android
      .verify({ chain: certificates, challenge: attestationNonce(challenge), at: now, policy: this.deps.androidPolicy })
      .catch((error: unknown) => {
        throw attestationFailure(error);
      });
    if (result.publicKey.curve !== 'P-256' || !result.publicKey.jwk) {
      throw mdvmError(
        'SECURITY_VIOLATION',
        `attested key ${result.publicKey.algorithm} ${result.publicKey.curve ?? ''}`,
      );
    }
    const enforced = (result.facts.keyDescription as KeyDescription).hardwareEnforced;
    const attested: AndroidAttested = {
      chainKeys: certificates.slice(1).map((der) => parseCertificate(der).spkiFingerprint),
      ...(result.osVersion ? { osVersion: result.osVersion } : {}),
      ...(result.osPatchLevel ? { osPatchLevel: result.osPatchLevel } : {}),
      ...(result.app.version !== undefined ? { appVersion: result.app.version } : {}),
    };
    // Device ids are attested only when the app asked for them and the device supports it.
    for (const id of ['attestationIdModel', 'attestationIdProduct', 'attestationIdDevice'] as const) {
      if (typeof enforced[id] === 'string') attested[id] = enforced[id] as string;
    }
    return { result, attested };
  }

  /** Leaked attestation keys in the chain are unfixable; then the vulnerable device classes. */
  private async refuseVulnerable(device: DeviceIdentity, chainKeys: string[]): Promise<void> {
    const leaked = await fromStore(() => this.deps.vulnerabilities.leakedAmong(chainKeys));
    if (leaked.length > 0) {
      throw mdvmError('DEVICE_VULNERABLE_UNFIXABLE', `leaked attestation key ${leaked[0]}`);
    }
    const found = vulnerableClassOf(
      await fromStore(() => this.deps.vulnerabilities.listClasses(device.platform)),
      device,
    );
    if (found) throw vulnerableError(found);
  }

  private async register(
    auth: AuthKey,
    platform: 'android' | 'ios',
    deviceClass: Record<string, string>,
    attested: Record<string, unknown>,
    now: number,
    ios: { appAttestKeyId?: string; counter: number } = { counter: 0 },
  ): Promise<RegistrationReply> {
    const id = randomUUID();
    const outcome = await fromStore(() =>
      this.deps.accounts.create({
        id,
        platform,
        authKeyThumbprint: jwkThumbprint(auth.jwk),
        authPublicKey: auth.spki.toString('base64'),
        deviceClass,
        attested,
        ...(ios.appAttestKeyId ? { appAttestKeyId: ios.appAttestKeyId } : {}),
        counter: ios.counter,
        createdAt: now,
      }),
    );
    if (outcome !== 'created') throw mdvmError('KEY_ALREADY_REGISTERED', outcome);
    const token = await this.issue(id, auth.jwk, now);
    return { mdvm_wi_id: id, mdvm_token: token.token, mdvm_token_expiration_time: token.expiresAt };
  }

  /** The renewal's compare-and-set: a concurrent update of the same account makes this one fail rather than overwrite it. */
  private async save(
    account: MdvmAccount,
    deviceClass: Record<string, string>,
    attested: Record<string, unknown>,
    counter: number,
    now: number,
  ): Promise<void> {
    const outcome = await fromStore(() =>
      this.deps.accounts.update(account.id, account.version, {
        deviceClass,
        attested,
        counter,
        at: now,
      }),
    );
    if (outcome === 'revoked') throw mdvmError('ACCOUNT_REVOKED', 'revoked during the renewal');
    if (outcome === 'unknown') throw mdvmError('ACCOUNT_NOT_FOUND', 'deleted during the renewal');
    if (outcome === 'conflict') throw mdvmError('RENEWAL_CONFLICT');
  }

  private async renewed(id: string, auth: AuthKey, now: number): Promise<RenewalReply> {
    const token = await this.issue(id, auth.jwk, now);
    return { mdvm_token: token.token, mdvm_token_expiration_time: token.expiresAt };
  }

  private issue(accountId: string, authJwk: JsonWebKey, now: number): Promise<IssuedMdvmToken> {
    const { config, signingKeys } = this.deps;
    return issueMdvmToken(signingKeys.current, {
      format: config.tokenFormat,
      issuer: config.issuer,
      accountId,
      authJwk,
      now,
      lifetimeSeconds: config.tokenLifetimeSeconds,
    });
  }

  private window(now: number) {
    return {
      now,
      maxAgeSeconds: this.deps.config.signatureMaxAgeSeconds,
      maxSkewSeconds: this.deps.config.signatureMaxSkewSeconds,
      encodings: this.deps.config.signatureEncodings,
    };
  }

  private appleVerifier(): AppleVerifier {
    if (!this.deps.apple)
      throw mdvmError('SECURITY_VIOLATION', 'no iOS wallet app id is configured (mdvm.ios.appIds, apple.appIds)');
    return this.deps.apple;
  }
}
