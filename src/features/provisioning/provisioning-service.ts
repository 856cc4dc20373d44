import type { KeyObject } from 'node:crypto';
import { decodeCbor } from '../../attestation/cbor.js';
import type { AndroidPolicy } from '../../attestation/android/policy.js';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import type { Clock } from '../../clock.js';
import {
  type ErrorCategory,
  type ErrorCode,
  contentError,
  isKeywardError,
  timeError,
  trustError,
} from '../../errors.js';
import type {
  CodeState,
  ConfiguredDocument,
  EndorsedAuthKey,
  MdocDocument,
  MdocRecordStore,
  ProvisioningSessionStore,
} from '../../store/provisioning-store.js';
import { documentDataOf, elementsOf } from './document-data.js';
import type { DocumentSigner } from './issuer/issuer-ca-directory.js';
import { issueMdoc } from './issuer/issuer-signed.js';
import { verifyAuthKeyCertificates } from './protocol/auth-key-certificates.js';
import { credentialKeyFingerprint, verifyCredentialKey } from './protocol/credential-key.js';
import { encodeCanonical } from './protocol/data.js';
import { type FlowName, assertAccepted, flowOf, nextStep, openingStep, opensSession } from './protocol/flow.js';
import { REQUEST } from './protocol/message-types.js';
import {
  DEFAULT_MESSAGE_LIMITS,
  type MessageLimits,
  type RequestMessage,
  type RequestOf,
  readRequestMessage,
} from './protocol/messages.js';
import { verifyProofOfDeletion, verifyProofOfOwnership, verifyProofOfProvisioning } from './protocol/proofs.js';
import * as replies from './protocol/responses.js';
import type { UpdateCredentialResult } from './protocol/responses.js';
import {
  advanceSession,
  credentialKeyOf,
  fromText,
  loadSession,
  newChallenge,
  newSessionId,
  type OpenSession,
  required,
  type SessionState,
  toText,
} from './session.js';
import type { CoseSign1 } from '../../crypto/cose/sign1.js';
import { spkiOf } from '../../crypto/keys.js';

/**
 * The issuer side of the identity-credential provisioning protocol (PROTOCOLS.md §7): one
 * POST /mdlServer body in, the reply bytes out, over the system of record (MdocRecordStore) and
 * sessions kept in the store (ProvisioningSessionStore), so any process answers any message.
 *
 * Every message goes the same way: read it strictly (messages.ts) → a flow's first message
 * opens a session (random id, fresh challenge) → any other must name a known, unexpired
 * session whose step accepts it (flow.ts) → the checks of its step, which write nothing → the
 * session moves on by compare-and-set → only then the step's one write to the system of record,
 * itself one transaction (completeProvisioning consumes the code once, endorseAuthKeys,
 * updateConfigured, deleteConfigured). A failure anywhere answers EndSessionMessage Failed with
 * the code reported and ends the session; since the session is claimed before the write and the
 * write is atomic, nothing half-done remains and a replayed or concurrent message writes nothing.
 *
 * Challenges are 32 random bytes, one per session and per proof: the attestation challenge in
 * ProvisioningResponse, the ownership challenge, the deletion challenge; each is forgotten once
 * its proof is checked.
 */

export interface ProvisioningSettings {
  /** How long a session lives from its first message, seconds (its lifetime, not an idle timeout). */
  sessionTtlSeconds: number;
  /** Most auth keys certified per CertifyAuthKeysSendCerts. */
  maxAuthKeys: number;
  /** Validity of each issued mdoc (MSO validUntil − validFrom), days; capped at the document signer's notAfter. */
  mdocValidityDays: number;
  /** Require identityCredentialKey (tag 721) in the CredentialKey attestation (off only for software keystores). */
  requireIdentityCredentialKey: boolean;
  /** Accept proofs with testCredential true. */
  allowTestCredential: boolean;
  /** Refuse a ProofOfDeletion over an empty or absent challenge (the deployed app signs an empty one); default false. */
  requireDeletionChallenge?: boolean;
  /** Bounds of a request body (messages.ts defaults); the auth-key count is bounded by maxAuthKeys. */
  messageLimits?: Partial<Omit<MessageLimits, 'maxAuthKeys'>>;
}

/** What one handled message did: for logs and metrics. */
export interface ProvisioningOutcome {
  flow?: FlowName;
  /** The request's messageType, when the body was readable as one. */
  messageType?: string;
  /** 'ok', or the code the message failed with. */
  outcome: 'ok' | ErrorCode;
  sessionId?: string;
  docType?: string;
  /** Whether the session ended with this message (EndSessionMessage sent). */
  ended: boolean;
  /** Log-only detail of a failure (never sent to the client). */
  detail?: string;
  /** The thrown value of an INTERNAL failure, for the log. */
  error?: unknown;
}

export interface ProvisioningServiceDependencies {
  clock: Clock;
  records: MdocRecordStore;
  sessions: ProvisioningSessionStore;
  /** The verifier of CredentialKey attestations and the device policy `provisioning.android`. */
  android: { verifier: AndroidVerifier; policy: AndroidPolicy };
  signer: DocumentSigner;
  settings: ProvisioningSettings;
  onOutcome?(event: ProvisioningOutcome): void;
}

export interface ProvisioningReply {
  /** The reply body (application/cbor). */
  reply: Uint8Array;
  /** The code of a failure (the reply is then EndSessionMessage Failed), and its category. */
  code?: ErrorCode;
  category?: ErrorCategory;
  /** The flow the message belongs to, when known. */
  flow?: FlowName;
  /** Whether the flow ended with this message (completed, or failed). */
  ended: boolean;
  /** What the flow is about, when known: the document id (provisioning), else the CredentialKey fingerprint. */
  subject?: string;
  docType?: string;
  /** Log-only detail of a failure (never sent to the client). */
  detail?: string;
  sessionId?: string;
}

/** What handling a message has learnt so far, for the outcome. */
interface MessageContext {
  message?: RequestMessage;
  sessionId?: string;
  flow?: FlowName;
  docType?: string;
  subject?: string;
}

/** What a step decided, before anything is written. */
interface StepResult {
  reply: Uint8Array;
  state: SessionState;
  updateResult?: UpdateCredentialResult;
  /** The step's write to the system of record, run after the session moved on. */
  commit?: () => Promise<void>;
}

const DAY = 86_400_000;
const MAX_SESSION_ID_LENGTH = 256;

const CODE_REFUSALS: Record<Exclude<CodeState, 'usable'>, { code: ErrorCode; message: string }> = {
  unknown: { code: 'PROVISIONING_CODE_UNKNOWN', message: 'The provisioning code is unknown.' },
  used: { code: 'PROVISIONING_CODE_USED', message: 'The provisioning code has been used.' },
  expired: { code: 'PROVISIONING_CODE_EXPIRED', message: 'The provisioning code has expired.' },
  revoked: { code: 'PROVISIONING_CODE_REVOKED', message: 'The provisioning code was revoked.' },
};

export class ProvisioningService {
  private readonly limits: Partial<MessageLimits>;

  constructor(private readonly deps: ProvisioningServiceDependencies) {
    const { settings } = deps;
    if (!Number.isSafeInteger(settings.maxAuthKeys) || settings.maxAuthKeys < 1) {
      throw new TypeError('settings.maxAuthKeys must be a positive integer');
    }
    if (!(settings.sessionTtlSeconds > 0)) throw new TypeError('settings.sessionTtlSeconds must be positive');
    if (!(settings.mdocValidityDays > 0)) throw new TypeError('settings.mdocValidityDays must be positive');
    // The reader's bound only limits parsing; the quota is checked with the session known, so a
    // request over it ends its session like any other refusal.
    this.limits = {
      ...settings.messageLimits,
      maxAuthKeys: Math.max(settings.maxAuthKeys, DEFAULT_MESSAGE_LIMITS.maxAuthKeys),
    };
  }

  /**
   * One POST /mdlServer body → the reply bytes (application/cbor). Never throws for what a client
   * sends: a failure answers EndSessionMessage{eSessionId?, reason: "Failed"} and reports the code.
   */
  async handle(body: Uint8Array): Promise<ProvisioningReply> {
    const at = this.deps.clock.now();
    const context: MessageContext = {};
    try {
      let message: RequestMessage;
      try {
        message = readRequestMessage(body, this.limits);
      } catch (error) {
        // An unreadable message still ends the session it names, if it names one.
        const named = peekSessionId(body);
        if (named !== undefined) context.sessionId = named;
        throw error;
      }
      context.message = message;
      const { reply, ended } = opensSession(message.type)
        ? await this.open(message, at, context)
        : await this.continue(message as RequestMessage & { sessionId: string }, at, context);
      this.report(context, { outcome: 'ok', ended });
      return { reply, ended, ...decisionFacts(context) };
    } catch (error) {
      return this.fail(error, context);
    }
  }

  private async fail(error: unknown, context: MessageContext): Promise<ProvisioningReply> {
    const keyward = isKeywardError(error);
    const code: ErrorCode = keyward ? error.code : 'PROVISIONING_INTERNAL';
    const { sessionId } = context;
    let cleanupError: unknown;
    if (sessionId !== undefined) {
      try {
        await this.deps.sessions.delete(sessionId);
      } catch (caught) {
        cleanupError = caught;
      }
    }
    this.report(context, {
      outcome: code,
      ended: true,
      ...(keyward && error.detail !== undefined ? { detail: error.detail } : {}),
      ...(!keyward || error.category === 'INTERNAL' || cleanupError !== undefined
        ? { error: cleanupError ?? error }
        : {}),
    });
    return {
      reply: replies.writeEndSession(sessionId, 'Failed'),
      code,
      category: keyward ? error.category : 'INTERNAL',
      ended: true,
      ...(keyward && error.detail !== undefined ? { detail: error.detail } : {}),
      ...decisionFacts(context),
    };
  }

  private report(
    context: MessageContext,
    event: Pick<ProvisioningOutcome, 'outcome' | 'ended' | 'detail' | 'error'>,
  ): void {
    if (!this.deps.onOutcome) return;
    try {
      this.deps.onOutcome({
        ...(context.flow ? { flow: context.flow } : {}),
        ...(context.message ? { messageType: context.message.type } : {}),
        ...(context.sessionId === undefined ? {} : { sessionId: context.sessionId }),
        ...(context.docType === undefined ? {} : { docType: context.docType }),
        ...event,
      });
    } catch {
      // A failing logging hook must not change the reply.
    }
  }

  // ---- the first message of a flow -------------------------------------------------------

  private async open(
    message: RequestMessage,
    at: number,
    context: MessageContext,
  ): Promise<{ reply: Uint8Array; ended: boolean }> {
    const step = openingStep(message.type);
    const flow = flowOf(step as Exclude<typeof step, 'ended'>);
    context.flow = flow;
    const id = newSessionId();
    let state: SessionState;
    let reply: Uint8Array;
    if (message.type === REQUEST.startProvisioning) {
      const document = await this.usableCode(message.provisioningCode, at);
      context.docType = document.docType;
      context.subject = document.id;
      state = { flow, documentId: document.id, docType: document.docType, code: message.provisioningCode };
      reply = replies.writeReadyToProvision(id);
    } else {
      const { credentialKey } = message as RequestOf<
        typeof REQUEST.certifyAuthKeys | typeof REQUEST.updateCredential | typeof REQUEST.deleteCredential
      >;
      const { configured, document } = await this.credential(credentialKeyFingerprint(credentialKey));
      context.docType = document.docType;
      context.subject = configured.credentialKeyFingerprint;
      if (flow === 'certify') assertCurrent(document, configured);
      const challenge = newChallenge();
      state = {
        flow,
        documentId: document.id,
        docType: document.docType,
        credentialKey: toText(spkiOf(credentialKey)),
        fingerprint: configured.credentialKeyFingerprint,
        challenge: toText(challenge),
      };
      reply =
        flow === 'certify'
          ? replies.writeCertifyAuthKeysProveOwnership(id, challenge)
          : flow === 'update'
            ? replies.writeUpdateCredentialProveOwnership(id, challenge)
            : replies.writeDeleteCredentialProveOwnership(id, challenge);
    }
    await this.deps.sessions.create({
      id,
      step,
      state: state as unknown as Record<string, unknown>,
      expiresAt: at + this.deps.settings.sessionTtlSeconds * 1000,
      version: 0,
    });
    context.sessionId = id;
    return { reply, ended: false };
  }

  /** The document of a usable provisioning code, or the code's refusal. */
  private async usableCode(code: string, at: number): Promise<MdocDocument> {
    const { state, code: record } = await this.deps.records.codeState(code, at);
    if (state !== 'usable' || !record) {
      const refusal = CODE_REFUSALS[state === 'usable' ? 'unknown' : state];
      const error = state === 'expired' ? timeError : trustError;
      throw error(refusal.code, refusal.message, { detail: `provisioning code state ${state}` });
    }
    return this.liveDocument(record.documentId);
  }

  /** A document that may be provisioned or certified: present and not marked for deletion. */
  private async liveDocument(documentId: string): Promise<MdocDocument> {
    const document = await this.deps.records.document(documentId);
    if (!document || document.status === 'to_delete') {
      throw trustError('PROVISIONING_DOCUMENT_WITHDRAWN', 'The document has been withdrawn.', {
        detail: `document ${documentId} ${document ? 'is marked for deletion' : 'does not exist'}`,
      });
    }
    return document;
  }

  /** The configured credential of a CredentialKey, with its document. */
  private async credential(fingerprint: string): Promise<{ configured: ConfiguredDocument; document: MdocDocument }> {
    const configured = await this.deps.records.configured(fingerprint);
    const document = configured && (await this.deps.records.document(configured.documentId));
    if (!configured || !document) {
      throw trustError('PROVISIONING_CREDENTIAL_UNKNOWN', 'The credential is unknown.', {
        detail: `no configured document for CredentialKey ${fingerprint}`,
      });
    }
    return { configured, document };
  }

  // ---- every later message -----------------------------------------------------------------

  private async continue(
    message: RequestMessage & { sessionId: string },
    at: number,
    context: MessageContext,
  ): Promise<{ reply: Uint8Array; ended: boolean }> {
    context.sessionId = message.sessionId;
    const session = await loadSession(this.deps.sessions, message.sessionId, at);
    context.flow = session.state.flow;
    context.docType = session.state.docType;
    context.subject = session.state.flow === 'provisioning' ? session.state.documentId : session.state.fingerprint;
    assertAccepted(session.step, message.type);
    const result = await this.step(message, session, at);
    const next = nextStep(session.step, message.type, result.updateResult);
    await advanceSession(this.deps.sessions, session, next, result.state);
    await result.commit?.();
    if (next === 'ended') await this.deps.sessions.delete(session.id);
    return { reply: result.reply, ended: next === 'ended' };
  }

  private async step(message: RequestMessage, session: OpenSession, at: number): Promise<StepResult> {
    const { id, state } = session;
    switch (message.type) {
      case REQUEST.androidStartProvisioning: {
        const challenge = newChallenge();
        return {
          reply: replies.writeProvisioningResponse(id, challenge, state.docType),
          state: { ...state, challenge: toText(challenge) },
        };
      }
      case REQUEST.setCertificateChain:
        return this.setCertificateChain(message, session, at);
      case REQUEST.setProofOfProvisioning:
        return this.setProofOfProvisioning(message.proofOfProvisioning, session, at);
      case REQUEST.certifyProveOwnershipResponse:
        this.verifyOwnership(message.proofOfOwnership, state);
        return { reply: replies.writeCertifyAuthKeysReady(id), state: withoutChallenge(state) };
      case REQUEST.certifySendCerts:
        return this.certify(message.authKeyCerts, session, at);
      case REQUEST.updateProveOwnershipResponse:
        return this.answerUpdate(message.proofOfOwnership, session);
      case REQUEST.updateGetDataToUpdate: {
        const document = await this.liveDocument(state.documentId);
        return {
          reply: replies.writeUpdateCredentialDataToProvision(id, documentDataOf(document)),
          state: { ...state, sentData: toText(document.data), sentDataTimestamp: document.dataTimestamp },
        };
      }
      case REQUEST.updateSetProofOfProvisioning:
        return this.setProofOfProvisioning(message.proofOfProvisioning, session, at);
      case REQUEST.deleteProveOwnershipResponse: {
        this.verifyOwnership(message.proofOfOwnership, state);
        const challenge = newChallenge();
        return {
          reply: replies.writeDeleteCredentialReadyForDeletion(id, challenge),
          state: { ...state, challenge: toText(challenge) },
        };
      }
      case REQUEST.deleteDeleted: {
        verifyProofOfDeletion(
          message.proofOfDeletion,
          credentialKeyOf(state),
          { docType: state.docType, challenge: fromText(required(state, 'challenge')) },
          {
            allowTestCredential: this.deps.settings.allowTestCredential,
            requireDeletionChallenge: this.deps.settings.requireDeletionChallenge === true,
          },
        );
        const fingerprint = required(state, 'fingerprint');
        return {
          reply: replies.writeEndSession(id, 'Success'),
          state: withoutChallenge(state),
          commit: async () => {
            if (!(await this.deps.records.deleteConfigured(fingerprint))) throw credentialGone(fingerprint);
          },
        };
      }
      case REQUEST.requestEndSession: {
        // Accepted only after certify's response and update's no_update / delete (flow.ts). A
        // credential whose document is withdrawn goes when the holder acknowledges "delete".
        const fingerprint = state.fingerprint;
        return {
          reply: replies.writeEndSession(id, 'Success'),
          state,
          ...(state.updateResult === 'delete' && fingerprint !== undefined
            ? {
                commit: async () => {
                  await this.deps.records.deleteConfigured(fingerprint);
                },
              }
            : {}),
        };
      }
      default:
        throw new TypeError(`${message.type} opens a session`);
    }
  }

  /** SetCertificateChain: the CredentialKey attested for this session's challenge → the document's data. */
  private async setCertificateChain(
    message: RequestOf<typeof REQUEST.setCertificateChain>,
    session: OpenSession,
    at: number,
  ): Promise<StepResult> {
    const { settings, android } = this.deps;
    const { state } = session;
    const verified = await verifyCredentialKey(android.verifier, {
      chain: message.credentialKeyCertificateChain,
      challenge: fromText(required(state, 'challenge')),
      at,
      policy: android.policy,
      requireIdentityCredentialKey: settings.requireIdentityCredentialKey,
    });
    const document = await this.liveDocument(state.documentId);
    return {
      reply: replies.writeDataToProvision(session.id, documentDataOf(document)),
      state: {
        ...withoutChallenge(state),
        credentialKey: toText(spkiOf(verified.publicKey)),
        fingerprint: verified.fingerprint,
        credentialKeyChain: toText(Buffer.concat(message.credentialKeyCertificateChain)),
        sentData: toText(document.data),
        sentDataTimestamp: document.dataTimestamp,
      },
    };
  }

  /**
   * SetProofOfProvisioning (provisioning and update): the proof over exactly the data sent in
   * this session → the credential stored (consuming the code) or its proof replaced.
   */
  private setProofOfProvisioning(proof: CoseSign1, session: OpenSession, at: number): StepResult {
    const { state } = session;
    const sentTimestamp = required(state, 'sentDataTimestamp');
    const sent = { ...documentDataOfBytes(state), docType: state.docType };
    const verified = verifyProofOfProvisioning(proof, credentialKeyOf(state), sent, {
      allowTestCredential: this.deps.settings.allowTestCredential,
    });
    const fingerprint = required(state, 'fingerprint');
    // Stored as a COSE_Sign1: the signed parts (protected header, payload) and the signature are
    // the bytes received; only the unsigned unprotected header is re-encoded.
    const proofOfProvisioning = encodeCanonical([
      proof.protectedBytes,
      proof.unprotected,
      verified.payload,
      proof.signature,
    ]);
    const proofOfProvisioningSha256 = new Uint8Array(verified.payloadSha256);
    const reply = replies.writeEndSession(session.id, 'Success');
    const { sentData: _sent, ...rest } = state;
    if (state.flow === 'update') {
      return {
        reply,
        state: rest,
        commit: async () => {
          const updated = await this.deps.records.updateConfigured(
            fingerprint,
            { proofOfProvisioning, proofOfProvisioningSha256, dataTimestamp: sentTimestamp },
            at,
          );
          if (!updated) throw credentialGone(fingerprint);
        },
      };
    }
    const configured: ConfiguredDocument = {
      credentialKeyFingerprint: fingerprint,
      documentId: state.documentId,
      credentialKeyChain: fromText(required(state, 'credentialKeyChain')),
      proofOfProvisioning,
      proofOfProvisioningSha256,
      dataTimestamp: sentTimestamp,
      createdAt: at,
      updatedAt: at,
    };
    const code = required(state, 'code');
    return {
      reply,
      state: rest,
      commit: async () => {
        const outcome = await this.deps.records.completeProvisioning(code, configured, at);
        if (outcome === 'usable') return;
        if (outcome === 'conflict') {
          throw trustError('PROVISIONING_CREDENTIAL_KEY_REUSED', 'The CredentialKey is provisioned already.', {
            detail: `CredentialKey ${fingerprint}`,
          });
        }
        const refusal = CODE_REFUSALS[outcome];
        throw (outcome === 'expired' ? timeError : trustError)(refusal.code, refusal.message, {
          detail: `provisioning code state ${outcome} at completion`,
        });
      },
    };
  }

  private verifyOwnership(proof: CoseSign1, state: SessionState): void {
    verifyProofOfOwnership(
      proof,
      credentialKeyOf(state),
      { docType: state.docType, challenge: fromText(required(state, 'challenge')) },
      { allowTestCredential: this.deps.settings.allowTestCredential },
    );
  }

  /** UpdateCredential's answer from the system of record: delete, update or no_update. */
  private async answerUpdate(proof: CoseSign1, session: OpenSession): Promise<StepResult> {
    const { state } = session;
    this.verifyOwnership(proof, state);
    const fingerprint = required(state, 'fingerprint');
    const configured = await this.deps.records.configured(fingerprint);
    if (!configured) throw credentialGone(fingerprint);
    const document = await this.deps.records.document(configured.documentId);
    const updateResult: UpdateCredentialResult =
      !document || document.status === 'to_delete'
        ? 'delete'
        : document.dataTimestamp > configured.dataTimestamp
          ? 'update'
          : 'no_update';
    return {
      reply: replies.writeUpdateCredentialResponse(session.id, updateResult),
      state: { ...withoutChallenge(state), updateResult },
      updateResult,
    };
  }

  /**
   * CertifyAuthKeysSendCerts: within the quota → the credential still current → each certificate
   * signed by the CredentialKey and bound to the stored ProofOfProvisioning → one mdoc per auth
   * key, issued over the document's data → endorsed in one write.
   */
  private async certify(certificates: readonly Uint8Array[], session: OpenSession, at: number): Promise<StepResult> {
    const { settings, signer } = this.deps;
    if (certificates.length > settings.maxAuthKeys) {
      throw contentError('PROVISIONING_TOO_MANY_AUTH_KEYS', 'Too many auth keys in one request.', {
        detail: `${certificates.length} auth keys, limit ${settings.maxAuthKeys}`,
      });
    }
    const { state } = session;
    const fingerprint = required(state, 'fingerprint');
    const { configured, document } = await this.credential(fingerprint);
    assertCurrent(document, configured);
    const credentialKey: KeyObject = credentialKeyOf(state);
    const keys = verifyAuthKeyCertificates(certificates, credentialKey, configured.proofOfProvisioningSha256, at);
    const elements = elementsOf(documentDataOf(document));
    const validUntil = Math.min(at + settings.mdocValidityDays * DAY, signer.certificate.notAfter);
    const endorsed: EndorsedAuthKey[] = keys.map((key) => {
      const mdoc = issueMdoc({
        docType: document.docType,
        nameSpaces: elements,
        deviceKey: key.publicKey,
        signer,
        validity: { signed: at, validFrom: at, validUntil },
      });
      return {
        credentialKeyFingerprint: fingerprint,
        authKeyFingerprint: key.fingerprint,
        certificate: key.certificate,
        staticAuthData: mdoc.staticAuthData,
        generatedAt: at,
        expiresAt: validUntil,
      };
    });
    return {
      reply: replies.writeCertifyAuthKeysResponse(
        session.id,
        endorsed.map((key) => key.staticAuthData),
      ),
      state,
      commit: () => this.deps.records.endorseAuthKeys(endorsed),
    };
  }
}

/** The reply's facts for the decision log and the request's log line. */
const decisionFacts = (context: MessageContext) => ({
  ...(context.sessionId === undefined ? {} : { sessionId: context.sessionId }),
  ...(context.flow === undefined ? {} : { flow: context.flow }),
  ...(context.subject === undefined ? {} : { subject: context.subject }),
  ...(context.docType === undefined ? {} : { docType: context.docType }),
});

const withoutChallenge = ({ challenge: _challenge, ...state }: SessionState): SessionState => state;

/** The data sent in this session, as it was sent. */
const documentDataOfBytes = (state: SessionState) =>
  documentDataOf({ docType: state.docType, data: fromText(required(state, 'sentData')) } as MdocDocument);

const credentialGone = (fingerprint: string) =>
  trustError('PROVISIONING_CREDENTIAL_UNKNOWN', 'The credential is unknown.', {
    detail: `configured document for CredentialKey ${fingerprint} is gone`,
  });

/** Certify only what the holder holds is current: the document live, its data unchanged since provisioning. */
function assertCurrent(document: MdocDocument, configured: ConfiguredDocument): void {
  if (document.status === 'to_delete') {
    throw trustError('PROVISIONING_DOCUMENT_WITHDRAWN', 'The document has been withdrawn.', {
      detail: `document ${document.id} is marked for deletion`,
    });
  }
  if (document.dataTimestamp > configured.dataTimestamp) {
    throw contentError('PROVISIONING_CREDENTIAL_OUTDATED', 'The credential must be updated first.', {
      detail: `document data of ${new Date(document.dataTimestamp).toISOString()}, credential provisioned with ${new Date(configured.dataTimestamp).toISOString()}`,
    });
  }
}

/** The eSessionId an unreadable message names, when it is at least a CBOR map with a text one. */
function peekSessionId(body: Uint8Array): string | undefined {
  try {
    const plain = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    if (plain.length === 0 || plain.length > DEFAULT_MESSAGE_LIMITS.maxBytes) return undefined;
    const value = decodeCbor(plain, 'PROVISIONING_MALFORMED_CBOR', 'request body', DEFAULT_MESSAGE_LIMITS.maxDepth);
    const id = value instanceof Map ? value.get('eSessionId') : undefined;
    return typeof id === 'string' && id.length > 0 && id.length <= MAX_SESSION_ID_LENGTH ? id : undefined;
  } catch {
    return undefined;
  }
}
