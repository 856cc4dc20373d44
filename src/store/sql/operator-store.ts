import type { Kysely } from 'kysely';
import type { OperatorAccount, OperatorRole, OperatorStore } from '../console-store.js';
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
  constructor(private readonly db: Kysely<Tables>) {}

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

  setRole(name: string, role: OperatorRole, at: number): Promise<boolean> {
    return this.update(name, { role, updated_at: at });
  }

  /** One statement: the foreign key's ON DELETE CASCADE removes the sessions with the operator. */
  async remove(name: string): Promise<boolean> {
    const deleted = await this.db.deleteFrom('operators').where('name', '=', name).executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1;
  }

  private async update(name: string, values: Partial<OperatorsTable>): Promise<boolean> {
    const updated = await this.db.updateTable('operators').set(values).where('name', '=', name).executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }
}
