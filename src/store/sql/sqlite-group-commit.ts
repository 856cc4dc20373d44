import type { CompiledQuery, Kysely } from 'kysely';
import type { SqliteAccess } from '../database.js';
import { LoopBatcher } from '../loop-batcher.js';
import type { QueryRunner } from './precompiled.js';

interface Statement {
  sql: string;
  parameters: unknown[];
}

/**
 * Group commit for SQLite. Statements arriving during one event-loop turn run synchronously,
 * one after another, in a single transaction on the raw connection, and each caller is
 * answered only after COMMIT: a reply never reports a write that is not committed, while one
 * WAL write serves many requests. The batch holds Kysely's connection lock, so it can never run
 * inside (or be rolled back with) a Kysely transaction. A failing statement fails alone (SQLite
 * undoes just that statement) unless it ended the transaction, which fails the whole batch.
 */
export class SqliteGroupCommit implements QueryRunner {
  private readonly batcher: LoopBatcher<Statement, unknown[]>;

  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for code that serves any schema (migrations, compiled statements)
    private readonly db: Kysely<any>,
    private readonly sqlite: SqliteAccess,
  ) {
    this.batcher = new LoopBatcher((statements) => this.db.connection().execute(async () => this.execute(statements)));
  }

  run<Row>(query: CompiledQuery<Row>, parameters: unknown[]): Promise<Row[]> {
    return this.batcher.submit({ sql: query.sql, parameters }) as Promise<Row[]>;
  }

  private execute(statements: Statement[]): (unknown[] | Error)[] {
    const { connection, prepare } = this.sqlite;
    const outcomes: (unknown[] | Error)[] = [];
    prepare('BEGIN').run();
    try {
      for (const { sql, parameters } of statements) {
        try {
          const statement = prepare(sql);
          if (statement.reader) outcomes.push(statement.all(parameters));
          else {
            statement.run(parameters);
            outcomes.push([]);
          }
        } catch (error) {
          if (!connection.inTransaction) throw error;
          outcomes.push(error instanceof Error ? error : new Error(String(error)));
        }
      }
      prepare('COMMIT').run();
    } catch (error) {
      if (connection.inTransaction) prepare('ROLLBACK').run();
      throw error;
    }
    return outcomes;
  }
}
