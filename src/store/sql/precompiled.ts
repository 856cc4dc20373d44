import type { Compilable, CompiledQuery, Kysely } from 'kysely';

const MARKER = '\u0000keyward-parameter:';

/** A placeholder for a named parameter in a query built once by `precompile`. */
export const param = <T = never>(name: string): T => `${MARKER}${name}` as T;

/** Runs compiled SQL with bound parameters and returns its rows. */
export interface QueryRunner {
  run<Row>(query: CompiledQuery<Row>, parameters: unknown[]): Promise<Row[]>;
}

/** Runs through Kysely's driver (PostgreSQL, or SQLite outside the hot path). */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for code that serves any schema (migrations, compiled statements)
export const kyselyRunner = (db: Kysely<any>): QueryRunner => ({
  async run<Row>(query: CompiledQuery<Row>, parameters: unknown[]) {
    return (await db.executeQuery<Row>({ ...query, parameters })).rows;
  },
});

/**
 * Builds and compiles a hot-path query once; each execution only binds new values. Parameters
 * are placed with `param(name)` and bound by name, so their positional order never matters.
 * Saves the query-builder and compiler work (the larger part of a simple statement's cost).
 */
export function precompile<Row, Params extends Record<string, unknown>>(
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for code that serves any schema (migrations, compiled statements)
  db: Kysely<any>,
  runner: QueryRunner,
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for code that serves any schema (migrations, compiled statements)
  build: (db: Kysely<any>) => Compilable<Row>,
): (values: Params) => Promise<Row[]> {
  const compiled: CompiledQuery<Row> = build(db).compile();
  const slots = compiled.parameters.map((value, index) => {
    if (typeof value !== 'string' || !value.startsWith(MARKER)) {
      throw new TypeError(`precompiled query parameter ${index} is a literal; use param(name) (${compiled.sql})`);
    }
    return value.slice(MARKER.length);
  });
  return (values) =>
    runner.run(
      compiled,
      slots.map((name) => {
        if (!(name in values)) throw new TypeError(`precompiled query needs parameter ${name}`);
        return values[name];
      }),
    );
}
