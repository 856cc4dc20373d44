/**
 * Operator accounts of the console (issue 13): who may sign in, with which role. Used by
 * `keyward operators` and the console's operator pages; every change is audited.
 */
import type { Clock } from '../../clock.js';
import { contentError, isKeywardError, type ErrorCode } from '../../errors.js';
import {
  OPERATOR_ROLES,
  type AuditActorKind,
  type AuditEventStore,
  type ConsoleSessionStore,
  type OperatorAccount,
  type OperatorChange,
  type OperatorRole,
  type OperatorStore,
} from '../../store/console-store.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';

/** An account as it may be shown: everything but the password hash. */
export type OperatorSummary = Omit<OperatorAccount, 'passwordHash'>;

/** Who asks for a change, for the audit trail. */
export interface AuditActor {
  /** The operator's name, "api-key:…" or "cli:<OS user>". */
  actor: string;
  actorKind: AuditActorKind;
  /** The client address; 'local' for the CLI. */
  address: string;
  requestId?: string;
}

export const PASSWORD_MIN_CHARACTERS = 12;
export const PASSWORD_MAX_CHARACTERS = 1024;
const NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const ROLES: readonly string[] = OPERATOR_ROLES;

export function checkOperatorName(name: string): void {
  if (!NAME.test(name))
    throw contentError('OPERATOR_NAME_INVALID', 'operator names are 1–64 characters of A-Z a-z 0-9 . _ @ -');
}

export function checkOperatorRole(role: string): asserts role is OperatorRole {
  if (!ROLES.includes(role)) throw contentError('OPERATOR_ROLE_INVALID', `role must be one of ${ROLES.join(', ')}`);
}

export function checkOperatorPassword(password: string): void {
  // Characters as people count them (code points), not UTF-16 units.
  const length = [...password].length;
  if (length < PASSWORD_MIN_CHARACTERS || length > PASSWORD_MAX_CHARACTERS)
    throw contentError(
      'OPERATOR_PASSWORD_INVALID',
      `passwords are ${PASSWORD_MIN_CHARACTERS}–${PASSWORD_MAX_CHARACTERS} characters`,
    );
}

const summary = ({ passwordHash: _, ...account }: OperatorAccount): OperatorSummary => account;

/** The codes of refusals that are worth a 'refused' audit row: well-formed requests the accounts' state refused. */
const AUDITED_REFUSALS: readonly ErrorCode[] = ['OPERATOR_EXISTS', 'OPERATOR_UNKNOWN', 'OPERATOR_LAST_ADMIN'];

export class OperatorAccounts {
  constructor(
    private readonly operators: OperatorStore,
    private readonly sessions: ConsoleSessionStore,
    private readonly audit: AuditEventStore,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<OperatorSummary[]> {
    return (await this.operators.list()).map(summary);
  }

  async add(name: string, role: string, password: string, by: AuditActor): Promise<OperatorSummary> {
    checkOperatorName(name);
    checkOperatorRole(role);
    checkOperatorPassword(password);
    return this.audited(by, 'operator.add', name, { role }, async () => {
      const at = this.clock.now();
      const account = { name, role, passwordHash: await hashPassword(password), createdAt: at, updatedAt: at };
      if (!(await this.operators.add(account)))
        throw contentError('OPERATOR_EXISTS', `operator ${name} exists already`, { status: 409 });
      return summary(account);
    });
  }

  /** Sets a new password and ends the operator's console sessions. */
  async setPassword(name: string, password: string, by: AuditActor): Promise<OperatorSummary> {
    checkOperatorName(name);
    checkOperatorPassword(password);
    return this.audited(by, 'operator.passwd', name, {}, async (detail) => {
      const account = await this.existing(name);
      detail.role = account.role;
      const at = this.clock.now();
      if (!(await this.operators.setPassword(name, await hashPassword(password), at))) throw unknown(name);
      await this.sessions.deleteForOperator(name);
      return summary({ ...account, updatedAt: at });
    });
  }

  /** Gives the operator another role and ends their sessions (they sign in again with the new one). */
  async setRole(name: string, role: string, by: AuditActor): Promise<OperatorSummary> {
    checkOperatorName(name);
    checkOperatorRole(role);
    return this.audited(by, 'operator.role', name, { role }, async (detail) => {
      const account = await this.existing(name);
      detail.previousRole = account.role;
      const at = this.clock.now();
      refuseUnless(await this.operators.setRole(name, role, at), name);
      await this.sessions.deleteForOperator(name);
      return summary({ ...account, role, updatedAt: at });
    });
  }

  /** Removes the operator; the store ends their sessions in the same transaction. */
  async remove(name: string, by: AuditActor): Promise<void> {
    checkOperatorName(name);
    await this.audited(by, 'operator.remove', name, {}, async (detail) => {
      const account = await this.existing(name);
      detail.role = account.role;
      refuseUnless(await this.operators.remove(name), name);
    });
  }

  /**
   * The account when the password is its own. An unknown or malformed name costs one scrypt
   * verification too, so the answer's timing does not tell which names exist.
   */
  async authenticate(name: string, password: string): Promise<OperatorSummary | undefined> {
    const account = NAME.test(name) ? await this.operators.get(name) : undefined;
    const verified = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH);
    return account && verified ? summary(account) : undefined;
  }

  private async existing(name: string): Promise<OperatorAccount> {
    const account = await this.operators.get(name);
    if (!account) throw unknown(name);
    return account;
  }

  /**
   * Runs one change and appends its audit event once it is done; a refusal the accounts' state
   * caused is appended as 'refused' before it is thrown. `change` may add to the event's detail.
   */
  private async audited<T>(
    by: AuditActor,
    action: string,
    target: string,
    detail: Record<string, unknown>,
    change: (detail: Record<string, unknown>) => Promise<T>,
  ): Promise<T> {
    const event = (outcome: 'ok' | 'refused') => ({
      at: this.clock.now(),
      actor: by.actor,
      actorKind: by.actorKind,
      action,
      target,
      outcome,
      address: by.address,
      detail,
      ...(by.requestId ? { requestId: by.requestId } : {}),
    });
    let result: T;
    try {
      result = await change(detail);
    } catch (error) {
      if (isKeywardError(error) && AUDITED_REFUSALS.includes(error.code)) {
        detail.code = error.code;
        await this.audit.append(event('refused'));
      }
      throw error;
    }
    await this.audit.append(event('ok'));
    return result;
  }
}

/** A store change that did not happen, as the refusal it is. */
function refuseUnless(change: OperatorChange, name: string): void {
  if (change === 'unknown') throw unknown(name);
  if (change === 'last-admin')
    throw contentError('OPERATOR_LAST_ADMIN', `${name} is the last admin: make another operator admin first`, {
      status: 409,
    });
}

const unknown = (name: string) => contentError('OPERATOR_UNKNOWN', `no operator is named ${name}`, { status: 404 });
