import { type SelectQueryBuilder, sql } from 'kysely';

/**
 * One page of an ordered listing and how many rows its filters match, read in parallel:
 * `ordered` is the filtered query with its selection and order, `filtered` the same filters alone.
 */
export async function pageWithTotal<DB, TB extends keyof DB, Row>(
  ordered: SelectQueryBuilder<DB, TB, Row>,
  // biome-ignore lint/complexity/noBannedTypes: Kysely's type of a query that selects nothing yet
  filtered: SelectQueryBuilder<DB, TB, {}>,
  page: { limit: number; offset?: number },
): Promise<{ rows: Row[]; total: number }> {
  const [rows, counted] = await Promise.all([
    ordered
      .limit(page.limit)
      .offset(page.offset ?? 0)
      .execute(),
    filtered.select(sql<number>`count(*)`.as('total')).executeTakeFirstOrThrow() as Promise<{ total: number }>,
  ]);
  // PostgreSQL's count is a bigint (a number here), SQLite's an integer.
  return { rows, total: Number(counted.total) };
}

/**
 * The revocation filter of the listings. The unary plus keeps the planner off the revoked_at
 * index for "not revoked" (nearly every row), so a listing walks its time index and stops at the
 * page instead of sorting every match.
 */
export const revocationIs = (revoked: boolean) =>
  revoked ? sql<boolean>`revoked_at is not null` : sql<boolean>`+revoked_at is null`;

/** A LIKE pattern matching `text` as a substring; `\` escapes the wildcards (use with `escape '\'`). */
export const containing = (text: string) => `%${text.replace(/[\\%_]/g, (wildcard) => `\\${wildcard}`)}%`;
