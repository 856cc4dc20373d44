/**
 * The operator console's own records (issue 13): operator accounts, their server-side sessions,
 * failed-login counters, the audit trail of operator actions and the decision log of every
 * verification decision. Times are epoch milliseconds from the injected Clock.
 */
import type { ErrorCategory } from '../errors.js';

export const OPERATOR_ROLES = ['viewer', 'operator', 'admin'] as const;
/** viewer: read only; operator: revoke, add/remove classes and keys…; admin: operators, keys, configuration views. */
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface OperatorAccount {
  /** 1–64 characters of [A-Za-z0-9._@-]; unique. */
  name: string;
  role: OperatorRole;
  /** The encoded password hash (passwords.ts); never leaves the server. */
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

export type OperatorChange = 'done' | 'unknown' | 'last-admin';

export interface OperatorStore {
  /** False when the name is taken. */
  add(account: OperatorAccount): Promise<boolean>;
  get(name: string): Promise<OperatorAccount | undefined>;
  /** Ordered by name. */
  list(): Promise<OperatorAccount[]>;
  /** False when there is no such operator. */
  setPassword(name: string, passwordHash: string, at: number): Promise<boolean>;
  /**
   * Changes the role unless that would leave no admin: decided and done in one transaction that
   * locks the admins, so concurrent demotions and removals can never remove the last one.
   */
  setRole(name: string, role: OperatorRole, at: number): Promise<OperatorChange>;
  /** Removes the operator and all their sessions, unless they are the last admin (as for setRole). */
  remove(name: string): Promise<OperatorChange>;
}

export interface ConsoleSession {
  /** SHA-256 (hex) of the cookie's random value: a leaked table holds no usable session. */
  idHash: string;
  operator: string;
  /** Random, per session; every state-changing form carries it. */
  csrfToken: string;
  /** The address the session was created from. */
  address: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end, whatever the activity. */
  expiresAt: number;
}

export interface ConsoleSessionStore {
  create(session: ConsoleSession): Promise<void>;
  get(idHash: string): Promise<ConsoleSession | undefined>;
  /** Sets lastSeenAt (only forward). */
  touch(idHash: string, at: number): Promise<void>;
  /** True if it existed. */
  delete(idHash: string): Promise<boolean>;
  /** Every session of one operator (password change, role change, removal). */
  deleteForOperator(name: string): Promise<number>;
  /** Deletes sessions idle since before `idleBefore` or expired by `now`; returns how many. */
  purge(now: number, idleBefore: number): Promise<number>;
}

export interface LoginThrottleState {
  failures: number;
  /** Set while locked out. */
  lockedUntil?: number;
}

/**
 * Failed-login counters, keyed by "user:<name>" and "addr:<address>". Every update is one atomic
 * statement, so concurrent failures are all counted.
 */
export interface LoginThrottleStore {
  /**
   * Counts one failure at `now`. A counter whose lockout has ended, or whose last failure is older
   * than `windowMs`, starts again at 1. Reaching `maxFailures` sets lockedUntil = now + lockoutMs.
   */
  recordFailure(
    key: string,
    now: number,
    settings: { maxFailures: number; lockoutMs: number; windowMs: number },
  ): Promise<LoginThrottleState>;
  /** The latest lockout end among `keys` that is after `now`, if any. */
  lockedUntil(keys: readonly string[], now: number): Promise<number | undefined>;
  clear(key: string): Promise<void>;
  /** Drops counters neither locked nor touched since `before`. */
  purge(now: number, before: number): Promise<number>;
}

export const DECISION_OUTCOMES = ['accepted', 'rejected'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** One verification decision Keyward made (the decision log). Append-only. */
export interface NewDecisionEvent {
  at: number;
  /** warden, mdvm, fido2, dsr, provisioning. */
  capability: string;
  /** What was decided: attest, register, renew, registration, authentication, register-device, device-attestation, device-token, pep, provisioning, certify, update, delete. */
  operation: string;
  /** android, ios, webauthn, … ; '' when not known (a request refused before its platform was read). */
  platform: string;
  outcome: DecisionOutcome;
  /** For rejections: the error's category and stable code. */
  category?: ErrorCategory;
  code?: string;
  /** The device, account, certificate or credential the decision is about, when known (searchable). */
  subject?: string;
  /** A small JSON summary of the device facts (security level, OS, patch level, app, …); never secrets. */
  summary: Record<string, unknown>;
  requestId?: string;
}

export interface DecisionEvent extends NewDecisionEvent {
  id: number;
}

export interface DecisionEventFilter {
  capability?: string;
  operation?: string;
  outcome?: DecisionOutcome;
  code?: string;
  platform?: string;
  /** Exact subject. */
  subject?: string;
  /** at >= from */
  from?: number;
  /** at < to */
  to?: number;
}

/** One bucket of the overview's chart. */
export interface DecisionBucket {
  /** Bucket start: from + k * bucketMs. */
  start: number;
  capability: string;
  outcome: DecisionOutcome;
  /** '' for accepted decisions. */
  category: string;
  count: number;
}

export interface DecisionEventStore {
  /** Inserts the events in one statement (at most a few hundred per call). */
  append(events: readonly NewDecisionEvent[]): Promise<void>;
  get(id: number): Promise<DecisionEvent | undefined>;
  /** Newest first (by id); `before` pages: only ids below it. */
  list(filter: DecisionEventFilter, page: { limit: number; before?: number }): Promise<DecisionEvent[]>;
  /** Counts per bucket of [from, to), by capability, outcome and category. */
  histogram(from: number, to: number, bucketMs: number): Promise<DecisionBucket[]>;
  /** Deletes events older than `before`, at most `limit` per call (retention); returns how many. */
  purgeBefore(before: number, limit: number): Promise<number>;
}

export type AuditActorKind = 'operator' | 'api-key' | 'cli';

export interface NewAuditEvent {
  at: number;
  /** The operator's name, "api-key:<first 8 hex of its SHA-256>", or "cli:<OS user>". */
  actor: string;
  actorKind: AuditActorKind;
  /** login, login-failed, logout, certificate.revoke, mdvm.account.revoke, operator.add, … */
  action: string;
  /** What it was done to (serial, account id, class id, operator name…), when anything. */
  target?: string;
  outcome: 'ok' | 'refused';
  /** The client address ('local' for the CLI). */
  address: string;
  /** Further facts (reason, role, …); never secrets. */
  detail: Record<string, unknown>;
  requestId?: string;
}

export interface AuditEvent extends NewAuditEvent {
  id: number;
}

export interface AuditEventFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: number;
  to?: number;
}

export interface AuditEventStore {
  /** Written before the action's answer is sent: the trail never misses a completed action. */
  append(event: NewAuditEvent): Promise<void>;
  get(id: number): Promise<AuditEvent | undefined>;
  /** Newest first (by id); `before` pages. */
  list(filter: AuditEventFilter, page: { limit: number; before?: number }): Promise<AuditEvent[]>;
}
