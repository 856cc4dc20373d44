import { createHash, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import type { AndroidVerifier } from '../../../attestation/android/verify.js';
import { isKeywardError } from '../../../errors.js';
import type { DocumentSigner } from '../../../features/provisioning/issuer/issuer-ca-directory.js';
import { type IssuedMdoc, issueMdoc } from '../../../features/provisioning/issuer/issuer-signed.js';
import { verifyAuthKeyCertificates } from '../../../features/provisioning/protocol/auth-key-certificates.js';
import {
  credentialKeyFingerprint,
  verifyCredentialKey,
} from '../../../features/provisioning/protocol/credential-key.js';
import type { DocumentData } from '../../../features/provisioning/protocol/data.js';
import {
  assertAccepted,
  nextStep,
  opensSession,
  openingStep,
  type SessionStep,
} from '../../../features/provisioning/protocol/flow.js';
import { REQUEST } from '../../../features/provisioning/protocol/message-types.js';
import { type RequestMessage, readRequestMessage } from '../../../features/provisioning/protocol/messages.js';
import {
  type DeletionProofOptions,
  verifyProofOfDeletion,
  verifyProofOfOwnership,
  verifyProofOfProvisioning,
} from '../../../features/provisioning/protocol/proofs.js';
import * as replies from '../../../features/provisioning/protocol/responses.js';
import type { UpdateCredentialResult } from '../../../features/provisioning/protocol/responses.js';

/**
 * The issuer side of PROTOCOLS.md §7 played in-process with Keyward's provisioning groundwork,
 * for the simulated holder's tests (no HTTP, no store): every request goes through
 * readRequestMessage and the flow.ts order, every check is the real one (verifyCredentialKey,
 * the three proof verifiers, verifyAuthKeyCertificates), and every certified auth key gets a
 * real mdoc (issueMdoc). A failure answers EndSessionMessage Failed and records its code.
 */

export interface IssuerRecord {
  docType: string;
  credentialKey: KeyObject;
  document: DocumentData;
  proofOfProvisioning: Uint8Array;
  proofOfProvisioningSha256: Uint8Array;
  /** The mdocs issued, one per certified auth key, in order. */
  issued: IssuedMdoc[];
  /** What the next UpdateCredential answers. */
  updateResult: UpdateCredentialResult;
  /** The data an 'update' sends. */
  nextDocument?: DocumentData;
}

interface Session {
  step: SessionStep;
  document?: DocumentData;
  challenge?: Uint8Array;
  credentialKey?: KeyObject;
  record?: IssuerRecord;
}

/** The code of a refusal: a KeywardError's code, or UNKNOWN_CREDENTIAL (the store's lookup, not modelled as a code here). */
export type RefusalCode = string;

export interface InProcessIssuerOptions {
  verifier: AndroidVerifier;
  signer: DocumentSigner;
  /** Provisioning code → document. */
  documents: ReadonlyMap<string, DocumentData>;
  now?: () => number;
  requireIdentityCredentialKey?: boolean;
  deletion?: DeletionProofOptions;
}

const DAY = 86_400_000;

export class InProcessIssuer {
  /** Provisioned credentials by CredentialKey fingerprint. */
  readonly records = new Map<string, IssuerRecord>();
  /** The code of each refusal, in order. */
  readonly refusals: RefusalCode[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;

  constructor(private readonly options: InProcessIssuerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** One POST /mdlServer: request bytes in, reply bytes out. */
  async handle(body: Uint8Array): Promise<Uint8Array> {
    let sessionId: string | undefined;
    try {
      const message = readRequestMessage(body);
      let session: Session;
      if (opensSession(message.type)) {
        sessionId = randomUUID();
        session = { step: openingStep(message.type) };
        this.sessions.set(sessionId, session);
        return await this.open(session, sessionId, message);
      }
      sessionId = (message as { sessionId: string }).sessionId;
      const found = this.sessions.get(sessionId);
      if (!found) throw new Error('UNKNOWN_SESSION');
      session = found;
      assertAccepted(session.step, message.type);
      const { reply, updateResult } = await this.continue(session, sessionId, message);
      session.step = nextStep(session.step, message.type, updateResult);
      if (session.step === 'ended') this.sessions.delete(sessionId);
      return reply;
    } catch (error) {
      this.refusals.push(isKeywardError(error) ? error.code : (error as Error).message);
      if (sessionId !== undefined) this.sessions.delete(sessionId);
      return replies.writeEndSession(sessionId, 'Failed');
    }
  }

  /** The record of the CredentialKey `key`. */
  recordOf(key: KeyObject): IssuerRecord | undefined {
    return this.records.get(credentialKeyFingerprint(key));
  }

  private lookUp(key: KeyObject): IssuerRecord {
    const record = this.recordOf(key);
    if (!record) throw new Error('UNKNOWN_CREDENTIAL');
    return record;
  }

  private async open(session: Session, sessionId: string, message: RequestMessage): Promise<Uint8Array> {
    switch (message.type) {
      case REQUEST.startProvisioning: {
        const document = this.options.documents.get(message.provisioningCode);
        if (!document) throw new Error('UNKNOWN_PROVISIONING_CODE');
        session.document = document;
        return replies.writeReadyToProvision(sessionId);
      }
      case REQUEST.certifyAuthKeys:
      case REQUEST.updateCredential:
      case REQUEST.deleteCredential: {
        session.record = this.lookUp(message.credentialKey);
        session.credentialKey = message.credentialKey;
        session.challenge = randomBytes(32);
        const write =
          message.type === REQUEST.certifyAuthKeys
            ? replies.writeCertifyAuthKeysProveOwnership
            : message.type === REQUEST.updateCredential
              ? replies.writeUpdateCredentialProveOwnership
              : replies.writeDeleteCredentialProveOwnership;
        return write(sessionId, session.challenge);
      }
      default:
        throw new TypeError(`${message.type} does not open a session`);
    }
  }

  private async continue(
    session: Session,
    sessionId: string,
    message: RequestMessage,
  ): Promise<{ reply: Uint8Array; updateResult?: UpdateCredentialResult }> {
    const at = this.now();
    const owned = () => ({ docType: session.record!.docType, challenge: session.challenge! });
    switch (message.type) {
      case REQUEST.androidStartProvisioning:
        session.challenge = randomBytes(32);
        return {
          reply: replies.writeProvisioningResponse(sessionId, session.challenge, session.document!.docType),
        };
      case REQUEST.setCertificateChain: {
        const verified = await verifyCredentialKey(this.options.verifier, {
          chain: message.credentialKeyCertificateChain,
          challenge: session.challenge!,
          at,
          ...(this.options.requireIdentityCredentialKey === false ? { requireIdentityCredentialKey: false } : {}),
        });
        session.credentialKey = verified.publicKey;
        return { reply: replies.writeDataToProvision(sessionId, session.document!) };
      }
      case REQUEST.setProofOfProvisioning: {
        const document = session.document!;
        const proof = verifyProofOfProvisioning(message.proofOfProvisioning, session.credentialKey!, document);
        this.records.set(credentialKeyFingerprint(session.credentialKey!), {
          docType: document.docType,
          credentialKey: session.credentialKey!,
          document,
          proofOfProvisioning: proof.payload,
          proofOfProvisioningSha256: proof.payloadSha256,
          issued: [],
          updateResult: 'no_update',
        });
        return { reply: replies.writeEndSession(sessionId, 'Success') };
      }
      case REQUEST.certifyProveOwnershipResponse:
        verifyProofOfOwnership(message.proofOfOwnership, session.credentialKey!, owned());
        return { reply: replies.writeCertifyAuthKeysReady(sessionId) };
      case REQUEST.certifySendCerts: {
        const record = session.record!;
        const keys = verifyAuthKeyCertificates(
          message.authKeyCerts,
          session.credentialKey!,
          record.proofOfProvisioningSha256,
          at,
        );
        const issued = keys.map((key) =>
          issueMdoc({
            docType: record.docType,
            nameSpaces: elementsOf(record.document),
            deviceKey: key.publicKey,
            signer: this.options.signer,
            validity: { signed: at, validFrom: at, validUntil: at + 30 * DAY },
          }),
        );
        record.issued.push(...issued);
        return {
          reply: replies.writeCertifyAuthKeysResponse(
            sessionId,
            issued.map((mdoc) => mdoc.staticAuthData),
          ),
        };
      }
      case REQUEST.requestEndSession:
        return { reply: replies.writeEndSession(sessionId, 'Success') };
      case REQUEST.updateProveOwnershipResponse: {
        verifyProofOfOwnership(message.proofOfOwnership, session.credentialKey!, owned());
        const updateResult = session.record!.updateResult;
        return { reply: replies.writeUpdateCredentialResponse(sessionId, updateResult), updateResult };
      }
      case REQUEST.updateGetDataToUpdate:
        return {
          reply: replies.writeUpdateCredentialDataToProvision(
            sessionId,
            session.record!.nextDocument ?? session.record!.document,
          ),
        };
      case REQUEST.updateSetProofOfProvisioning: {
        const record = session.record!;
        const document = record.nextDocument ?? record.document;
        const proof = verifyProofOfProvisioning(message.proofOfProvisioning, session.credentialKey!, document);
        Object.assign(record, {
          document,
          proofOfProvisioning: proof.payload,
          proofOfProvisioningSha256: proof.payloadSha256,
          updateResult: 'no_update',
        });
        delete record.nextDocument;
        return { reply: replies.writeEndSession(sessionId, 'Success') };
      }
      case REQUEST.deleteProveOwnershipResponse:
        verifyProofOfOwnership(message.proofOfOwnership, session.credentialKey!, owned());
        session.challenge = randomBytes(32);
        return { reply: replies.writeDeleteCredentialReadyForDeletion(sessionId, session.challenge) };
      case REQUEST.deleteDeleted:
        verifyProofOfDeletion(message.proofOfDeletion, session.credentialKey!, owned(), this.options.deletion);
        this.records.delete(credentialKeyFingerprint(session.credentialKey!));
        return { reply: replies.writeEndSession(sessionId, 'Success') };
      default:
        throw new TypeError(`${message.type} opens a session`);
    }
  }
}

/** A document's elements as issueMdoc takes them. */
export const elementsOf = (document: DocumentData) =>
  new Map(
    [...document.nameSpaces].map(([nameSpace, entries]) => [
      nameSpace,
      new Map(entries.map((entry) => [entry.name, entry.value])),
    ]),
  );

/** SHA-256 of bytes, for tests comparing ProofOfBinding. */
export const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
