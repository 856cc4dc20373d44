import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { sha256Hex } from '../../crypto/keys.js';
import { secretsEqual } from '../../http-kit/api-keys.js';
import type { OperatorSummary } from './operator-accounts.js';
import type {
  AuditEventStore,
  ConsoleSession,
  ConsoleSessionStore,
  LoginThrottleStore,
  OperatorRole,
  OperatorStore,
} from '../../store/console-store.js';

export interface ConsoleAuthSettings {
  idleMs: number;
  maxMs: number;
  maxFailures: number;
  lockoutMs: number;
}

export type SignInResult =
  | { ok: true; cookieValue: string; session: ConsoleSession; account: OperatorSummary }
  | { ok: false; reason: 'invalid' | 'locked'; lockedUntil?: number };

/** A signed-in operator, as each console request sees them (their role read afresh every time). */
export interface SignedIn {
  session: ConsoleSession;
  account: OperatorSummary;
}

const RANK: Record<OperatorRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether `role` may do what `needed` may. */
export const hasRole = (role: OperatorRole, needed: OperatorRole) => RANK[role] >= RANK[needed];

/** A session is touched at most this often, so reading pages does not write on every request. */
const TOUCH_INTERVAL_MS = 60_000;

const hashId = (cookieValue: string) => sha256Hex(Buffer.from(cookieValue));

/**
 * Console sign-in: passwords checked by the operator accounts, failures counted per user name
 * and per address (either locked refuses, whoever asks, so a guesser cannot tell a locked account
 * from a wrong password), server-side sessions with an idle and an absolute limit, and a CSRF
 * token per session. Sign-ins and sign-outs go to the audit trail.
 */
export class ConsoleAuth {
  constructor(
    private readonly deps: {
      accounts: { authenticate(name: string, password: string): Promise<OperatorSummary | undefined> };
      operators: OperatorStore;
      sessions: ConsoleSessionStore;
      throttles: LoginThrottleStore;
      audit: AuditEventStore;
      clock: Clock;
      settings: ConsoleAuthSettings;
    },
  ) {}

  async signIn(name: string, password: string, address: string, requestId: string): Promise<SignInResult> {
    const { throttles, audit, clock, settings } = this.deps;
    const now = clock.now();
    const keys = [`user:${name.toLowerCase()}`, `addr:${address}`];
    const refused = (reason: 'invalid' | 'locked', lockedUntil?: number) =>
      audit.append({
        at: now,
        actor: name.slice(0, 64),
        actorKind: 'operator',
        action: 'login',
        outcome: 'refused',
        address,
        detail: { reason, ...(lockedUntil ? { lockedUntil: new Date(lockedUntil).toISOString() } : {}) },
        requestId,
      });
    const locked = await throttles.lockedUntil(keys, now);
    if (locked !== undefined) {
      await refused('locked', locked);
      return { ok: false, reason: 'locked', lockedUntil: locked };
    }
    const account = await this.deps.accounts.authenticate(name, password);
    if (!account) {
      const limits = { maxFailures: settings.maxFailures, lockoutMs: settings.lockoutMs, windowMs: settings.lockoutMs };
      const states = await Promise.all(keys.map((key) => throttles.recordFailure(key, now, limits)));
      const lockedUntil = Math.max(0, ...states.map((state) => state.lockedUntil ?? 0)) || undefined;
      await refused(lockedUntil ? 'locked' : 'invalid', lockedUntil);
      return lockedUntil ? { ok: false, reason: 'locked', lockedUntil } : { ok: false, reason: 'invalid' };
    }
    await throttles.clear(keys[0]!);
    const cookieValue = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      idHash: hashId(cookieValue),
      operator: account.name,
      csrfToken: randomBytes(32).toString('base64url'),
      address,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + settings.maxMs,
    };
    await this.deps.sessions.create(session);
    await audit.append({
      at: now,
      actor: account.name,
      actorKind: 'operator',
      action: 'login',
      outcome: 'ok',
      address,
      detail: { role: account.role },
      requestId,
    });
    return { ok: true, cookieValue, session, account };
  }

  /** The operator behind a session cookie, if the session is live and the operator still exists. */
  async resolve(cookieValue: string | undefined): Promise<SignedIn | undefined> {
    if (!cookieValue) return undefined;
    const { sessions, operators, clock, settings } = this.deps;
    const now = clock.now();
    const session = await sessions.get(hashId(cookieValue));
    if (!session) return undefined;
    if (now >= session.expiresAt || now - session.lastSeenAt >= settings.idleMs) {
      await sessions.delete(session.idHash);
      return undefined;
    }
    const stored = await operators.get(session.operator);
    if (!stored) return undefined;
    if (now - session.lastSeenAt >= TOUCH_INTERVAL_MS) await sessions.touch(session.idHash, now);
    const { passwordHash: _, ...account } = stored;
    return { session, account };
  }

  async signOut(signedIn: SignedIn, address: string, requestId: string): Promise<void> {
    await this.deps.sessions.delete(signedIn.session.idHash);
    await this.deps.audit.append({
      at: this.deps.clock.now(),
      actor: signedIn.account.name,
      actorKind: 'operator',
      action: 'logout',
      outcome: 'ok',
      address,
      detail: {},
      requestId,
    });
  }

  /** Constant-time comparison of a form's CSRF token with the session's. */
  csrfValid(signedIn: SignedIn, presented: unknown): boolean {
    return typeof presented === 'string' && secretsEqual(presented, signedIn.session.csrfToken);
  }

  /** Ends idle and expired sessions and forgets stale failure counters. */
  async purge(): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.sessions.purge(now, now - this.deps.settings.idleMs);
    await this.deps.throttles.purge(now, now - this.deps.settings.lockoutMs);
  }
}
