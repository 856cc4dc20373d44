import { encode } from 'cbor2';
import { sha256, spkiOf } from '../../crypto/keys.js';
import { AndroidDeviceSimulator } from '../android/device.js';
import type { SimulatedRecord } from '../android/key-description-encoder.js';
import {
  androidKeyAttester,
  appleAttester,
  newCredentialId,
  noneAttester,
  packedFullAttester,
  packedSelfAttester,
  tpmAttester,
  u2fAttester,
  type Attester,
} from './attesters.js';
import { aaguidBytes, encodeAuthenticatorData } from './authenticator-data.js';
import {
  bstr,
  COSE_ALGORITHM_IDS,
  coseKeyOf,
  signWith,
  type CoseAlgorithmName,
  type CredentialKeyPair,
} from './credential-key.js';
import { modelOf, SIMULATED_MODELS, type SimulatedFormat, type SimulatedModel } from './models.js';
import { WebAuthnTestAuthority } from './test-authority.js';

export interface SimulatedAuthenticatorOptions {
  format: SimulatedFormat;
  /** packed only: self attestation (signed with the credential key, no x5c) instead of full. */
  selfAttestation?: boolean;
  /** Credential algorithm (default ES256); each format allows its own (see SIMULATED_MODELS). */
  algorithm?: CoseAlgorithmName;
  /** Replaces the model's fixed AAGUID (dashed UUID). */
  aaguid?: string;
  /** Set UV in every response (default true; false for fido-u2f). */
  userVerification?: boolean;
  backupEligible?: boolean;
  /** BS flag; set without backupEligible only to test that a verifier refuses it. */
  backedUp?: boolean;
  /** Sign count at registration (default 0). */
  counter?: number;
  /** Whether each assertion increments the sign count (default true; false: a passkey that always reports its start value). */
  counterIncrements?: boolean;
  attachment?: 'platform' | 'cross-platform';
  transports?: string[];
  /** 'shipped' (default): the committed test roots; 'generated': fresh roots nobody trusts. */
  roots?: 'shipped' | 'generated';
  /** Append the root to x5c (packed full, tpm, apple): a chain carrying its own root. */
  x5cWithRoot?: boolean;
  /** Time the attestation certificates are made for (default now). */
  at?: number;
  /** android-key: KeyDescription fields other than the challenge (purposes, origin, security level, …). */
  androidRecord?: Partial<Omit<SimulatedRecord, 'challenge'>>;
}

/** Client-side facts of one ceremony; the deviations exist to test that a relying party refuses them. */
interface CeremonyRequest {
  rpId: string;
  origin: string;
  challenge: Uint8Array;
  /** UP flag (default true). */
  userPresent?: boolean;
  /** UV flag (default: the authenticator's userVerification). */
  userVerified?: boolean;
  /** clientData type (default webauthn.create / webauthn.get). */
  type?: string;
  crossOrigin?: boolean;
  topOrigin?: string;
  /** Ceremony time (default now). */
  at?: number;
}

export interface RegistrationRequest extends CeremonyRequest {
  user: { id: Uint8Array; name?: string; displayName?: string };
  /** Make a discoverable (resident) credential. */
  residentKey?: boolean;
  /** COSE algorithms the relying party offered: refused (as a browser's NotSupportedError) when the authenticator's is not among them. */
  algorithms?: readonly number[];
  /** Credential ids (base64url or bytes) the relying party excludes: refused when one is on this authenticator. */
  excludeCredentials?: readonly (string | Uint8Array)[];
}

export interface AssertionRequest extends CeremonyRequest {
  /**
   * Credential ids (base64url or bytes): the newest listed credential is used, whatever RP it was
   * made for (to test that a relying party refuses another RP ID); empty or absent: the newest
   * discoverable credential for rpId.
   */
  allowCredentials?: readonly (string | Uint8Array)[];
  /** Report this sign count (e.g. a regression) instead of the next one. */
  counter?: number;
}

/** PublicKeyCredential.toJSON() of a registration (WebAuthn Level 3 RegistrationResponseJSON). */
export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    attestationObject: string;
    authenticatorData: string;
    transports: string[];
    publicKey: string;
    publicKeyAlgorithm: number;
  };
  authenticatorAttachment: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
}

/** PublicKeyCredential.toJSON() of an assertion (WebAuthn Level 3 AuthenticationResponseJSON). */
export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  authenticatorAttachment: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
}

/** What the authenticator keeps of a credential it made. */
export interface SimulatedCredential {
  /** base64url */
  id: string;
  rpId: string;
  /** base64url */
  userHandle: string;
  discoverable: boolean;
  algorithm: CoseAlgorithmName;
  /** The sign count of the last response. */
  counter: number;
  /** SubjectPublicKeyInfo DER. */
  publicKey: Buffer;
}

interface StoredCredential extends Omit<SimulatedCredential, 'publicKey'> {
  rawId: Buffer;
  key: CredentialKeyPair;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const idOf = (id: string | Uint8Array) => (typeof id === 'string' ? id : b64url(id));

/**
 * A software WebAuthn authenticator for tests and demos: it makes credentials with the
 * attestation statement of its format, keeps their private keys and sign counts, and signs in
 * with them later. Its attestations chain to the simulator's test roots (assets/simulator),
 * which a Keyward server trusts only with `--trust-simulator-roots`.
 */
export class SimulatedAuthenticator {
  readonly model: SimulatedModel;
  /** Dashed lower-case UUID in the attested credential data. */
  readonly aaguid: string;
  readonly algorithm: CoseAlgorithmName;
  readonly attachment: 'platform' | 'cross-platform';
  readonly transports: readonly string[];
  private readonly credentialsById = new Map<string, StoredCredential>();

  private constructor(
    readonly format: SimulatedFormat,
    private readonly options: SimulatedAuthenticatorOptions,
    private readonly attester: Attester,
    /** The test authority whose roots the attestations chain to (undefined for none and packed self). */
    readonly authority: WebAuthnTestAuthority | undefined,
    /** android-key: the simulated device (its root is the simulator Android root). */
    readonly androidDevice: AndroidDeviceSimulator | undefined,
  ) {
    this.model = modelOf(format, options.selfAttestation === true);
    const described = SIMULATED_MODELS[this.model];
    this.aaguid = options.aaguid ?? described.aaguid;
    this.algorithm = options.algorithm ?? 'ES256';
    this.attachment = options.attachment ?? described.attachment;
    this.transports = options.transports ?? described.transports;
  }

  static async create(options: SimulatedAuthenticatorOptions): Promise<SimulatedAuthenticator> {
    const model = modelOf(options.format, options.selfAttestation === true);
    if (options.selfAttestation && options.format !== 'packed')
      throw new TypeError('self attestation is a packed attestation');
    const algorithm = options.algorithm ?? 'ES256';
    if (!SIMULATED_MODELS[model].algorithms.includes(algorithm))
      throw new TypeError(`${options.format} authenticators do not make ${algorithm} credentials`);
    const at = options.at ?? Date.now();
    const aaguid = aaguidBytes(options.aaguid ?? SIMULATED_MODELS[model].aaguid);
    const withRoot = options.x5cWithRoot === true;
    const roots = options.roots ?? 'shipped';
    let authority: WebAuthnTestAuthority | undefined;
    let device: AndroidDeviceSimulator | undefined;
    let attester: Attester;
    switch (model) {
      case 'none':
        attester = noneAttester;
        break;
      case 'packed-self':
        attester = packedSelfAttester;
        break;
      case 'android-key':
        device = await AndroidDeviceSimulator.create({ root: roots, at });
        attester = androidKeyAttester(device, options.androidRecord ?? {});
        break;
      case 'packed':
        authority = await WebAuthnTestAuthority.create({ roots });
        attester = packedFullAttester(authority, aaguid, { at, withRoot });
        break;
      case 'tpm':
        authority = await WebAuthnTestAuthority.create({ roots });
        attester = tpmAttester(authority, aaguid, { at, withRoot });
        break;
      case 'apple':
        authority = await WebAuthnTestAuthority.create({ roots });
        attester = appleAttester(authority, { withRoot });
        break;
      case 'fido-u2f':
        authority = await WebAuthnTestAuthority.create({ roots });
        attester = u2fAttester(authority.u2fCertificate, authority.u2fKey);
        break;
    }
    return new SimulatedAuthenticator(options.format, options, attester, authority, device);
  }

  /** The credentials made so far, oldest first. */
  get credentials(): SimulatedCredential[] {
    return [...this.credentialsById.values()].map(({ rawId: _, key, ...credential }) => ({
      ...credential,
      publicKey: spkiOf(key.publicKey),
    }));
  }

  /** navigator.credentials.create(): a new credential and its attestation, as PublicKeyCredential.toJSON() returns it. */
  async register(request: RegistrationRequest): Promise<RegistrationResponseJSON> {
    if (request.algorithms && !request.algorithms.includes(COSE_ALGORITHM_IDS[this.algorithm]))
      throw new Error(`NotSupportedError: the relying party does not accept ${this.algorithm}`);
    const excluded = new Set((request.excludeCredentials ?? []).map(idOf));
    if ([...this.credentialsById.keys()].some((id) => excluded.has(id)))
      throw new Error('InvalidStateError: a credential of this authenticator is excluded');
    const at = request.at ?? Date.now();
    const clientDataJSON = this.clientData('webauthn.create', request);
    const clientDataHash = sha256(clientDataJSON);
    const rawId = newCredentialId(this.attester.fmt);
    const { key, chain } = await this.attester.newKey(this.algorithm, clientDataHash, at);
    const coseKey = coseKeyOf(key);
    const start = this.options.counter ?? 0;
    const authData = encodeAuthenticatorData({
      ...this.flags(request),
      rpId: request.rpId,
      counter: start,
      attested: { aaguid: aaguidBytes(this.aaguid), credentialId: rawId, coseKey },
    });
    const attStmt = this.attester.statement({
      authData,
      clientDataHash,
      rpIdHash: authData.subarray(0, 32),
      credentialId: rawId,
      key,
      ...(chain ? { chain } : {}),
      at,
    });
    const attestationObject = Buffer.from(
      encode(
        new Map<string, unknown>([
          ['fmt', this.attester.fmt],
          ['attStmt', attStmt],
          ['authData', bstr(authData)],
        ]),
      ),
    );
    const id = b64url(rawId);
    this.credentialsById.set(id, {
      id,
      rawId,
      rpId: request.rpId,
      userHandle: b64url(request.user.id),
      discoverable: request.residentKey === true,
      algorithm: this.algorithm,
      counter: start,
      key,
    });
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports: [...this.transports],
        publicKey: b64url(spkiOf(key.publicKey)),
        publicKeyAlgorithm: COSE_ALGORITHM_IDS[this.algorithm],
      },
      authenticatorAttachment: this.attachment,
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): an assertion with an allowed (or discoverable) credential for rpId. */
  authenticate(request: AssertionRequest): AuthenticationResponseJSON {
    const credential = this.pick(request);
    if (request.counter !== undefined) credential.counter = Math.max(credential.counter, request.counter);
    else if (this.options.counterIncrements !== false) credential.counter += 1;
    const clientDataJSON = this.clientData('webauthn.get', request);
    const authData = encodeAuthenticatorData({
      ...this.flags(request),
      rpId: request.rpId,
      counter: request.counter ?? credential.counter,
    });
    const signature = signWith(
      credential.algorithm,
      credential.key.privateKey,
      Buffer.concat([authData, sha256(clientDataJSON)]),
    );
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(credential.discoverable ? { userHandle: credential.userHandle } : {}),
      },
      authenticatorAttachment: this.attachment,
      clientExtensionResults: {},
    };
  }

  private pick(request: AssertionRequest): StoredCredential {
    const allowed = (request.allowCredentials ?? []).map(idOf);
    const candidates = [...this.credentialsById.values()].filter((credential) =>
      allowed.length > 0
        ? allowed.includes(credential.id)
        : credential.discoverable && credential.rpId === request.rpId,
    );
    const credential = candidates.at(-1);
    if (!credential)
      throw new Error(`NotAllowedError: no credential of this authenticator is allowed for ${request.rpId}`);
    return credential;
  }

  private flags(request: CeremonyRequest) {
    const verifies = this.options.userVerification ?? this.format !== 'fido-u2f';
    return {
      userPresent: request.userPresent ?? true,
      userVerified: request.userVerified ?? verifies,
      backupEligible: this.options.backupEligible === true,
      backedUp: this.options.backedUp === true,
    };
  }

  private clientData(type: string, request: CeremonyRequest): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: request.type ?? type,
        challenge: b64url(request.challenge),
        origin: request.origin,
        crossOrigin: request.crossOrigin ?? false,
        ...(request.topOrigin ? { topOrigin: request.topOrigin } : {}),
      }),
      'utf8',
    );
  }
}
