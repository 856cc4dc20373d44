import { type Kysely, type Transaction, sql } from 'kysely';
import type { OperatorAccount, OperatorChange, OperatorRole, OperatorStore } from '../console-store.js';
import type { OperatorsTable, Tables } from '../tables.js';

const toAccount = (row: OperatorsTable): OperatorAccount => ({
  name: row.name,
  role: row.role as OperatorRole,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Operator accounts in the SQL database. */
export class SqlOperatorStore implements OperatorStore {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async add(account: OperatorAccount): Promise<boolean> {
    const inserted = await this.db
      .insertInto('operators')
      .values({
        name: account.name,
        role: account.role,
        password_hash: account.passwordHash,
        created_at: account.createdAt,
        updated_at: account.updatedAt,
      })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .returning('name')
      .execute();
    return inserted.length === 1;
  }

  async get(name: string): Promise<OperatorAccount | undefined> {
    const row = await this.db.selectFrom('operators').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toAccount(row) : undefined;
  }

  async list(): Promise<OperatorAccount[]> {
    return (await this.db.selectFrom('operators').selectAll().orderBy('name').execute()).map(toAccount);
  }

  setPassword(name: string, passwordHash: string, at: number): Promise<boolean> {
    return this.update(name, { password_hash: passwordHash, updated_at: at });
  }

  setRole(name: string, role: OperatorRole, at: number): Promise<OperatorChange> {
    return this.keepingAnAdmin(name, role !== 'admin', async (trx) => {
      await trx.updateTable('operators').set({ role, updated_at: at }).where('name', '=', name).execute();
    });
  }

  /** The foreign key's ON DELETE CASCADE removes the sessions with the operator. */
  remove(name: string): Promise<OperatorChange> {
    return this.keepingAnAdmin(name, true, async (trx) => {
      await trx.deleteFrom('operators').where('name', '=', name).execute();
    });
  }

  /**
   * Runs `change` on an existing operator unless it takes away the last admin (`losesAdmin`). The
   * admins' rows are locked first (PostgreSQL; SQLite runs one transaction at a time), so of two
   * concurrent demotions of the last two admins the second sees the first's result.
   */
  private keepingAnAdmin(
    name: string,
    losesAdmin: boolean,
    change: (trx: Transaction<Tables>) => Promise<void>,
  ): Promise<OperatorChange> {
    return this.db.transaction().execute(async (trx) => {
      const admins = await sql<{
        name: string;
      }>`select name from operators where role = 'admin' order by name ${sql.raw(
        this.dialect === 'postgres' ? 'for update' : '',
      )}`.execute(trx);
      const account = await trx.selectFrom('operators').select('role').where('name', '=', name).executeTakeFirst();
      if (!account) return 'unknown';
      if (losesAdmin && account.role === 'admin' && admins.rows.every((admin) => admin.name === name))
        return 'last-admin';
      await change(trx);
      return 'done';
    });
  }

  private async update(name: string, values: Partial<OperatorsTable>): Promise<boolean> {
    const updated = await this.db.updateTable('operators').set(values).where('name', '=', name).executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }
}
