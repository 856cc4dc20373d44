import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import type { FlowName } from '../../features/provisioning/protocol/flow.js';
import { RESPONSE } from '../../features/provisioning/protocol/message-types.js';
import type { UpdateCredentialResult } from '../../features/provisioning/protocol/responses.js';
import { AndroidDeviceSimulator } from '../android/device.js';
import { authKeyCertificate } from './auth-key-certificate.js';
import { heldValues, type SimulatedAuthKey, type SimulatedCredential } from './credential.js';
import {
  type Disclosure,
  deviceResponse,
  rebuildIssuerSigned,
  sessionTranscript,
  sessionTranscriptBytes,
} from './presentation.js';
import {
  type ProvisionedData,
  proofOfDeletionPayload,
  proofOfOwnershipPayload,
  proofOfProvisioningPayload,
  signProof,
} from './proof-signatures.js';
import { isArray, isBytes, isMap, isText, type Reply, readReply, replyField } from './reply-messages.js';
import * as requests from './request-messages.js';
import type { HolderVariants } from './variants.js';

/**
 * A simulated Android identity-credential holder: what Google's holder app does on top of the
 * Identity Credential HAL, without a server. It writes the request messages of PROTOCOLS.md §7
 * and reads the replies, one at a time:
 *
 *   const first = holder.startProvisioning('1001');         // or certifyAuthKeys / updateCredential / deleteCredential
 *   let step = await holder.receive(await post(first));      // { request } to send next, or { ended }
 *
 * (`converse` runs that loop with a transport.) Credentials are kept per docType; a flow's
 * changes (a new credential, certified auth keys, updated data, a deletion) take effect only
 * when the issuer ends the session with Success. `variants` makes it misbehave for negative tests.
 */

export interface HolderOptions {
  /** The simulated device whose TEE attests CredentialKeys (default: one under the shipped simulator root). */
  device?: AndroidDeviceSimulator;
  /** Clock, epoch ms (attestation and certificate times). */
  now?: () => number;
  /** Auth keys to certify per CertifyAuthKeys flow (default 1). */
  authKeyCount?: number;
  variants?: HolderVariants;
}

/** How a flow ended: the issuer's EndSessionMessage. */
export interface FlowEnd {
  flow: FlowName;
  reason: string;
  docType: string | undefined;
  /** The update flow's UpdateCredentialResponse. */
  updateResult?: UpdateCredentialResult;
}

export type HolderStep = { request: Uint8Array; ended?: undefined } | { request?: undefined; ended: FlowEnd };

export interface PresentationOptions {
  /** Which certified auth key signs (default 0). */
  authKey?: number;
  /** The SessionTranscript (the array's encoding, or #6.24 around it); a fresh one when absent. */
  sessionTranscript?: Uint8Array;
  /** The elements to disclose (default all). */
  disclose?: Disclosure;
}

export interface Presentation {
  /** device-response.cbor: an ISO 18013-5 DeviceResponse, device-signed. */
  deviceResponse: Uint8Array;
  /** session-transcript.cbor: the SessionTranscript the device signed over (the array). */
  sessionTranscript: Uint8Array;
  /** #6.24(SessionTranscript), the form some readers (@auth0/mdl) take. */
  sessionTranscriptBytes: Uint8Array;
  /** The IssuerSigned rebuilt from the StaticAuthData and the held values (what was disclosed). */
  issuerSigned: Uint8Array;
}

interface Pending {
  flow: FlowName;
  sessionId?: string;
  docType?: string;
  /** The key proofs and auth-key certificates are signed with in this flow. */
  signingKey?: KeyObject;
  credential?: SimulatedCredential;
  authKeys?: SimulatedAuthKey[];
  updateResult?: UpdateCredentialResult;
  /** The new data and proof of an update, applied on Success. */
  update?: Pick<SimulatedCredential, 'data' | 'proofOfProvisioning' | 'proofOfProvisioningSignature'>;
  /** Where the flow goes on a Success. */
  onSuccess?: () => void;
}

export class SimulatedIdentityCredentialHolder {
  readonly credentials = new Map<string, SimulatedCredential>();
  variants: HolderVariants;
  authKeyCount: number;
  private pending: Pending | undefined;
  private readonly now: () => number;

  private constructor(
    readonly device: AndroidDeviceSimulator,
    options: HolderOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.variants = { ...options.variants };
    this.authKeyCount = options.authKeyCount ?? 1;
  }

  static async create(options: HolderOptions = {}): Promise<SimulatedIdentityCredentialHolder> {
    const device = options.device ?? (await AndroidDeviceSimulator.create({ root: 'shipped' }));
    return new SimulatedIdentityCredentialHolder(device, options);
  }

  /** The credential of `docType`; an Error when the holder has none. */
  credential(docType: string): SimulatedCredential {
    const credential = this.credentials.get(docType);
    if (!credential) throw new Error(`the holder has no credential for ${docType}`);
    return credential;
  }

  /** StartProvisioning{provisioningCode}: opens a provisioning flow. */
  startProvisioning(provisioningCode: string): Uint8Array {
    this.pending = { flow: 'provisioning' };
    return requests.startProvisioning(provisioningCode);
  }

  /** CertifyAuthKeys{credentialKey}: certifies `count` new auth keys (default authKeyCount). */
  certifyAuthKeys(docType: string, count = this.authKeyCount): Uint8Array {
    const announced = this.open('certify', docType);
    this.pending!.authKeys = Array.from({ length: count }, () => ({
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      certificate: new Uint8Array(),
    }));
    return requests.certifyAuthKeys(announced);
  }

  updateCredential(docType: string): Uint8Array {
    return requests.updateCredential(this.open('update', docType));
  }

  deleteCredential(docType: string): Uint8Array {
    return requests.deleteCredential(this.open('delete', docType));
  }

  /** Reads one reply and answers it: the next request, or how the flow ended. */
  async receive(replyBytes: Uint8Array): Promise<HolderStep> {
    const pending = this.pending;
    if (!pending) throw new Error('no flow is in progress');
    const reply = readReply(replyBytes);
    if (reply.sessionId !== undefined) {
      if (pending.sessionId === undefined) pending.sessionId = reply.sessionId;
      else if (pending.sessionId !== reply.sessionId) throw new Error(`${reply.messageType}: eSessionId changed`);
    }
    if (reply.messageType === RESPONSE.endSession) return { ended: this.end(pending, reply) };
    const sessionId = pending.sessionId;
    if (sessionId === undefined) throw new Error(`${reply.messageType} carries no eSessionId`);
    return { request: await this.answer(pending, sessionId, reply) };
  }

  /** Runs a flow to its end: sends `first`, then each answer, through `exchange` (e.g. an HTTP POST). */
  async converse(first: Uint8Array, exchange: (request: Uint8Array) => Promise<Uint8Array>): Promise<FlowEnd> {
    let request = first;
    for (;;) {
      const step = await this.receive(await exchange(request));
      if (step.ended) return step.ended;
      request = step.request;
    }
  }

  /** The IssuerSigned of `docType` as certified for auth key `authKey`, rebuilt from its StaticAuthData. */
  issuerSigned(docType: string, authKey = 0, disclose?: Disclosure): Uint8Array {
    const credential = this.credential(docType);
    return rebuildIssuerSigned(this.certified(credential, authKey).staticAuthData!, heldValues(credential), disclose)
      .issuerSigned;
  }

  /** A presentation of `docType` signed with a certified auth key over a SessionTranscript. */
  present(docType: string, options: PresentationOptions = {}): Presentation {
    const credential = this.credential(docType);
    const authKey = this.certified(credential, options.authKey ?? 0);
    const issuerSigned = rebuildIssuerSigned(authKey.staticAuthData!, heldValues(credential), options.disclose);
    const transcript = untag(options.sessionTranscript ?? sessionTranscript());
    return {
      deviceResponse: deviceResponse({
        docType,
        issuerSigned,
        authKey: authKey.privateKey,
        sessionTranscript: transcript,
      }),
      sessionTranscript: transcript,
      sessionTranscriptBytes: sessionTranscriptBytes(transcript),
      issuerSigned: issuerSigned.issuerSigned,
    };
  }

  private certified(credential: SimulatedCredential, index: number): SimulatedAuthKey {
    const authKey = credential.authKeys[index];
    if (!authKey?.staticAuthData) throw new Error(`${credential.docType} has no certified auth key ${index}`);
    return authKey;
  }

  /** Opens a flow on an existing credential: the key it announces, and the one it signs with. */
  private open(flow: FlowName, docType: string): KeyObject {
    const credential = this.credential(docType);
    const own = credential.credentialKey;
    const foreign = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let announced = own.publicKey;
    let signingKey = own.privateKey;
    if (this.variants.credentialKey === 'foreign-announced') {
      const pair = foreign();
      announced = pair.publicKey;
      signingKey = pair.privateKey;
    } else if (this.variants.credentialKey === 'foreign-signing') {
      signingKey = foreign().privateKey;
    }
    this.pending = { flow, docType, signingKey, credential };
    return announced;
  }

  private end(pending: Pending, reply: Reply): FlowEnd {
    const reason = replyField(reply, 'reason', isText, 'text');
    this.pending = undefined;
    if (reason === 'Success') pending.onSuccess?.();
    return {
      flow: pending.flow,
      reason,
      docType: pending.docType,
      ...(pending.updateResult ? { updateResult: pending.updateResult } : {}),
    };
  }

  private async answer(pending: Pending, sessionId: string, reply: Reply): Promise<Uint8Array> {
    const expect = (flow: FlowName) => {
      if (pending.flow !== flow) throw new Error(`${reply.messageType} in a ${pending.flow} flow`);
    };
    switch (reply.messageType) {
      case RESPONSE.readyToProvision:
        expect('provisioning');
        return requests.androidStartProvisioning(sessionId);
      case RESPONSE.provisioningResponse:
        expect('provisioning');
        return this.createCredentialKey(pending, sessionId, reply);
      case RESPONSE.dataToProvision: {
        expect('provisioning');
        const credential = pending.credential!;
        const signed = this.signProofOfProvisioning(credential.docType, readData(reply), pending.signingKey!);
        Object.assign(credential, signed);
        pending.onSuccess = () => this.credentials.set(credential.docType, credential);
        return requests.setProofOfProvisioning(sessionId, signed.proofOfProvisioningSignature);
      }
      case RESPONSE.certifyProveOwnership:
        expect('certify');
        return requests.certifyProveOwnershipResponse(sessionId, this.proofOfOwnership(pending, reply));
      case RESPONSE.certifyReady:
        expect('certify');
        return this.sendAuthKeyCertificates(pending, sessionId);
      case RESPONSE.certifyResponse: {
        expect('certify');
        const datas = replyField(reply, 'staticAuthDatas', isArray, 'an array');
        const authKeys = pending.authKeys!;
        if (datas.length !== authKeys.length || !datas.every(isBytes)) {
          throw new Error(`${reply.messageType}: ${datas.length} staticAuthDatas for ${authKeys.length} auth keys`);
        }
        authKeys.forEach((authKey, index) => {
          authKey.staticAuthData = datas[index] as Uint8Array;
        });
        const credential = pending.credential!;
        pending.onSuccess = () => credential.authKeys.push(...authKeys);
        return requests.requestEndSession(sessionId);
      }
      case RESPONSE.updateProveOwnership:
        expect('update');
        return requests.updateProveOwnershipResponse(sessionId, this.proofOfOwnership(pending, reply));
      case RESPONSE.updateResponse: {
        expect('update');
        const result = replyField(reply, 'updateCredentialResult', isText, 'text');
        if (result !== 'update' && result !== 'no_update' && result !== 'delete') {
          throw new Error(`${reply.messageType}: unknown updateCredentialResult ${result}`);
        }
        pending.updateResult = result;
        if (result === 'update') return requests.updateGetDataToUpdate(sessionId);
        // The app deletes a credential the issuer no longer stands behind; no_update changes nothing.
        if (result === 'delete') pending.onSuccess = () => this.credentials.delete(pending.docType!);
        return requests.requestEndSession(sessionId);
      }
      case RESPONSE.updateDataToProvision: {
        expect('update');
        const credential = pending.credential!;
        const update = this.signProofOfProvisioning(credential.docType, readData(reply), pending.signingKey!);
        // The data changed: every auth key must be certified again against the new proof.
        pending.onSuccess = () => Object.assign(credential, update, { authKeys: [] });
        return requests.updateSetProofOfProvisioning(sessionId, update.proofOfProvisioningSignature);
      }
      case RESPONSE.deleteProveOwnership:
        expect('delete');
        return requests.deleteProveOwnershipResponse(sessionId, this.proofOfOwnership(pending, reply));
      case RESPONSE.deleteReadyForDeletion: {
        expect('delete');
        const sent = replyField(reply, 'challenge', isBytes, 'a byte string');
        const mode = this.variants.deletionChallenge ?? 'empty';
        const challenge =
          mode === 'absent'
            ? undefined
            : mode === 'empty'
              ? new Uint8Array()
              : mode === 'wrong'
                ? new Uint8Array(randomBytes(sent.length || 32))
                : this.challenge(sent);
        const payload = proofOfDeletionPayload(pending.docType!, challenge, this.variants.testCredential);
        pending.onSuccess = () => this.credentials.delete(pending.docType!);
        return requests.deleteDeleted(sessionId, signProof(payload, pending.signingKey!));
      }
      default:
        throw new Error(`${reply.messageType} is not a reply the holder expects here`);
    }
  }

  /** The challenge to sign: the one sent, or a random one for the 'wrong' variant. */
  private challenge(sent: Uint8Array): Uint8Array {
    return this.variants.proofChallenge === 'wrong' ? new Uint8Array(randomBytes(sent.length || 32)) : sent;
  }

  private proofOfOwnership(pending: Pending, reply: Reply): Uint8Array {
    const challenge = this.challenge(replyField(reply, 'challenge', isBytes, 'a byte string'));
    const payload = proofOfOwnershipPayload(pending.docType!, challenge, this.variants.testCredential);
    return signProof(payload, pending.signingKey!);
  }

  /** ProvisioningResponse: a new CredentialKey in the simulated TEE, attested for the challenge. */
  private async createCredentialKey(pending: Pending, sessionId: string, reply: Reply): Promise<Uint8Array> {
    const challenge = replyField(reply, 'challenge', isBytes, 'a byte string');
    const docType = replyField(reply, 'docType', isText, 'text');
    const attested = this.variants.attestationChallenge === 'wrong' ? randomBytes(challenge.length || 32) : challenge;
    const attestation = await this.device.attest(
      { challenge: attested, identityCredentialKey: this.variants.identityCredentialKey !== false },
      { at: this.now() },
    );
    const credentialKey = {
      privateKey: attestation.privateKey,
      publicKey: attestation.publicKey,
      chain: attestation.chain.map((der) => new Uint8Array(der)),
    };
    pending.docType = docType;
    pending.signingKey =
      this.variants.credentialKey === 'foreign-signing' || this.variants.credentialKey === 'foreign-announced'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
        : credentialKey.privateKey;
    pending.credential = {
      docType,
      credentialKey,
      data: { accessControlProfiles: [], nameSpaces: new Map() },
      proofOfProvisioning: new Uint8Array(),
      proofOfProvisioningSignature: new Uint8Array(),
      authKeys: [],
    };
    return requests.setCertificateChain(sessionId, credentialKey.chain);
  }

  private signProofOfProvisioning(docType: string, data: ProvisionedData, key: KeyObject) {
    const signedData = this.variants.proofOfProvisioningData === 'different' ? tamper(data) : data;
    const proofOfProvisioning = proofOfProvisioningPayload(docType, signedData, this.variants.testCredential);
    return { data, proofOfProvisioning, proofOfProvisioningSignature: signProof(proofOfProvisioning, key) };
  }

  private sendAuthKeyCertificates(pending: Pending, sessionId: string): Uint8Array {
    const credential = pending.credential!;
    const at = this.now();
    for (const authKey of pending.authKeys!) {
      authKey.certificate = new Uint8Array(
        authKeyCertificate({
          authKey: authKey.publicKey,
          credentialKey: pending.signingKey!,
          proofOfProvisioningPayload: credential.proofOfProvisioning,
          at,
          ...(this.variants.proofOfBinding ? { variant: this.variants.proofOfBinding } : {}),
        }),
      );
    }
    return requests.certifySendCerts(
      sessionId,
      pending.authKeys!.map((authKey) => authKey.certificate),
      this.variants.authKeyCertsForm ?? 'array',
    );
  }
}

/**
 * DataToProvisionMessage's document, restated as the HAL restates it: each profile with only
 * the fields that say something (no empty readerCertificate; userAuthenticationRequired and
 * timeoutMillis only when user authentication is required), entries as {"name", "value",
 * "accessControlProfiles"}.
 */
function readData(reply: Reply): ProvisionedData {
  const profiles = replyField(reply, 'accessControlProfiles', isArray, 'an array');
  const nameSpaces = replyField(reply, 'nameSpaces', isMap, 'a map');
  const accessControlProfiles = profiles.map((value) => {
    if (!(value instanceof Map)) throw new Error(`${reply.messageType}: a profile is not a map`);
    const profile = new Map<string, unknown>([['id', value.get('id')]]);
    const certificate = value.get('readerCertificate');
    if (certificate instanceof Uint8Array && certificate.length > 0) profile.set('readerCertificate', certificate);
    if (value.get('userAuthenticationRequired') === true) {
      profile.set('userAuthenticationRequired', true);
      profile.set('timeoutMillis', value.get('timeoutMillis') ?? 0);
    }
    return profile;
  });
  const entries = new Map<string, Map<string, unknown>[]>();
  for (const [nameSpace, list] of nameSpaces) {
    if (typeof nameSpace !== 'string' || !Array.isArray(list)) {
      throw new Error(`${reply.messageType}: nameSpaces is not {tstr: [entries]}`);
    }
    entries.set(
      nameSpace,
      list.map((entry) => {
        if (!(entry instanceof Map)) throw new Error(`${reply.messageType}: an entry of ${nameSpace} is not a map`);
        return new Map<string, unknown>([
          ['name', entry.get('name')],
          ['value', entry.get('value')],
          ['accessControlProfiles', entry.get('accessControlProfiles')],
        ]);
      }),
    );
  }
  return { accessControlProfiles, nameSpaces: entries };
}

/** The same data with its first element's value changed. */
function tamper(data: ProvisionedData): ProvisionedData {
  const nameSpaces = new Map([...data.nameSpaces].map(([ns, list]) => [ns, list.map((entry) => new Map(entry))]));
  const first = [...nameSpaces.values()][0]?.[0];
  if (first) first.set('value', first.get('value') === 'tampered' ? 'tampered!' : 'tampered');
  return { accessControlProfiles: data.accessControlProfiles, nameSpaces };
}

/** A SessionTranscript given as #6.24(bstr) unwrapped to the array's encoding. */
function untag(transcript: Uint8Array): Uint8Array {
  if (transcript[0] !== 0xd8 || transcript[1] !== 24) return transcript;
  const lengthByte = transcript[2]! & 0x1f;
  const offset = 3 + (lengthByte < 24 ? 0 : 2 ** (lengthByte - 24));
  return transcript.subarray(offset);
}
