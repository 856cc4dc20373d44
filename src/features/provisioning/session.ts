import { createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { contentError, internalError } from '../../errors.js';
import type { ProvisioningSession, ProvisioningSessionStore } from '../../store/provisioning-store.js';
import type { FlowName, SessionStep } from './protocol/flow.js';
import type { UpdateCredentialResult } from './protocol/responses.js';

/**
 * What a provisioning session remembers between messages (ProvisioningSession.state, JSON):
 * byte values as base64url. Every later message reads it from the store, so any Keyward process
 * can answer it, and a restart loses nothing.
 */
export interface SessionState {
  flow: FlowName;
  documentId: string;
  docType: string;
  /** Provisioning: the code the flow started with (consumed only when it ends in Success). */
  code?: string;
  /** The challenge of the proof (or attestation) the session waits for; cleared once used. */
  challenge?: string;
  /** The CredentialKey: SPKI DER, and SHA-256 (hex) of it, the configured document's key. */
  credentialKey?: string;
  fingerprint?: string;
  /** Provisioning: credentialKeyCertificateChain as received (concatenated DER). */
  credentialKeyChain?: string;
  /** The document data Keyward sent in DataToProvisionMessage, exactly, and its dataTimestamp. */
  sentData?: string;
  sentDataTimestamp?: number;
  /** Update: what UpdateCredentialResponse answered. */
  updateResult?: UpdateCredentialResult;
}

/** A session as read from the store, with its state typed. */
export interface OpenSession {
  id: string;
  step: SessionStep;
  state: SessionState;
  expiresAt: number;
  version: number;
}

const CHALLENGE_BYTES = 32;

export const newSessionId = (): string => randomBytes(24).toString('base64url');

export const newChallenge = (): Uint8Array => new Uint8Array(randomBytes(CHALLENGE_BYTES));

export const toText = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

export const fromText = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));

/** A field the session must have by its step; its absence is Keyward's fault. */
export function required<K extends keyof SessionState>(state: SessionState, field: K): NonNullable<SessionState[K]> {
  const value = state[field];
  if (value === undefined || value === null) {
    throw internalError('PROVISIONING_INTERNAL', 'The provisioning session is inconsistent.', {
      detail: `session state lacks ${field}`,
    });
  }
  return value as NonNullable<SessionState[K]>;
}

/** The session's CredentialKey as a public KeyObject. */
export const credentialKeyOf = (state: SessionState): KeyObject =>
  createPublicKey({ key: Buffer.from(required(state, 'credentialKey'), 'base64url'), format: 'der', type: 'spki' });

/** The session `id`, unless unknown or expired at `now`: PROVISIONING_SESSION_UNKNOWN. */
export async function loadSession(store: ProvisioningSessionStore, id: string, now: number): Promise<OpenSession> {
  const session: ProvisioningSession | undefined = await store.get(id, now);
  if (!session) {
    throw contentError('PROVISIONING_SESSION_UNKNOWN', 'The provisioning session is unknown or has expired.', {
      detail: `eSessionId ${JSON.stringify(id.slice(0, 64))}`,
    });
  }
  return { ...session, step: session.step as SessionStep, state: session.state as unknown as SessionState };
}

/**
 * Moves the session on by compare-and-set: PROVISIONING_SESSION_CONFLICT when another message
 * moved it first (or it expired or ended meanwhile).
 */
export async function advanceSession(
  store: ProvisioningSessionStore,
  session: OpenSession,
  step: SessionStep,
  state: SessionState,
): Promise<void> {
  const moved = await store.update(session.id, session.version, {
    step,
    state: state as unknown as Record<string, unknown>,
    expiresAt: session.expiresAt,
  });
  if (!moved) {
    throw contentError('PROVISIONING_SESSION_CONFLICT', 'The provisioning session was changed concurrently.', {
      detail: `session ${session.id} is no longer at version ${session.version} (${session.step})`,
    });
  }
}
