import { type Kysely, sql } from 'kysely';
import type { BindingCertificateRecord, BindingCertificateStore, RevokeOutcome } from '../binding-certificate-store.js';
import type { BindingCertificatesTable, Tables } from '../tables.js';
import { param, precompile, type QueryRunner } from './precompiled.js';
import { containing, pageWithTotal, revocationIs } from './paged.js';

const toRecord = (row: BindingCertificatesTable): BindingCertificateRecord => ({
  serial: row.serial,
  policy: row.policy,
  platform: row.platform as BindingCertificateRecord['platform'],
  subject: row.subject,
  keyThumbprint: row.key_thumbprint,
  summary: JSON.parse(row.summary) as Record<string, unknown>,
  issuedAt: row.issued_at,
  notAfter: row.not_after,
  ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  ...(row.revocation_reason === null ? {} : { revocationReason: row.revocation_reason }),
});

/** Binding certificates in the SQL database; the issuance insert is compiled once and group-committed on SQLite. */
export class SqlBindingCertificateStore implements BindingCertificateStore {
  private readonly insertRow;

  constructor(
    private readonly db: Kysely<Tables>,
    runner: QueryRunner,
  ) {
    this.insertRow = precompile<never, Record<keyof BindingCertificatesTable, unknown>>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db.insertInto('binding_certificates').values({
          serial: param('serial'),
          policy: param('policy'),
          platform: param('platform'),
          subject: param('subject'),
          key_thumbprint: param('key_thumbprint'),
          summary: param('summary'),
          issued_at: param('issued_at'),
          not_after: param('not_after'),
          revoked_at: param('revoked_at'),
          revocation_reason: param('revocation_reason'),
        }),
    );
  }

  async record(record: BindingCertificateRecord): Promise<void> {
    await this.insertRow({
      serial: record.serial,
      policy: record.policy,
      platform: record.platform,
      subject: record.subject,
      key_thumbprint: record.keyThumbprint,
      summary: JSON.stringify(record.summary),
      issued_at: record.issuedAt,
      not_after: record.notAfter,
      revoked_at: null,
      revocation_reason: null,
    });
  }

  async find(serial: string): Promise<BindingCertificateRecord | undefined> {
    const row = await this.db
      .selectFrom('binding_certificates')
      .selectAll()
      .where('serial', '=', serial)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async revoke(serial: string, reason: string, at: number): Promise<RevokeOutcome> {
    const updated = await this.db
      .updateTable('binding_certificates')
      .set({ revoked_at: at, revocation_reason: reason })
      .where('serial', '=', serial)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 1) return 'revoked';
    return (await this.find(serial)) ? 'already-revoked' : 'unknown';
  }

  async revokedUnexpired(now: number): Promise<{ serial: string; revokedAt: number; reason: string }[]> {
    const rows = await this.db
      .selectFrom('binding_certificates')
      .select(['serial', 'revoked_at', 'revocation_reason'])
      .where('revoked_at', 'is not', null)
      .where('not_after', '>', now)
      .orderBy('revoked_at')
      .execute();
    return rows.map((row) => ({
      serial: row.serial,
      revokedAt: row.revoked_at!,
      reason: row.revocation_reason ?? 'unspecified',
    }));
  }

  async list(options: { limit: number; keyThumbprint?: string }): Promise<BindingCertificateRecord[]> {
    let query = this.db
      .selectFrom('binding_certificates')
      .selectAll()
      .orderBy('issued_at', 'desc')
      .limit(options.limit);
    if (options.keyThumbprint) query = query.where('key_thumbprint', '=', options.keyThumbprint);
    return (await query.execute()).map(toRecord);
  }

  async page(query: {
    limit: number;
    offset?: number;
    search?: string;
    platform?: 'android' | 'apple';
    revoked?: boolean;
  }): Promise<{ items: BindingCertificateRecord[]; total: number }> {
    let filtered = this.db.selectFrom('binding_certificates');
    if (query.search) {
      const search = query.search.toLowerCase();
      filtered = filtered.where((eb) =>
        eb.or([
          eb(eb.fn('substr', ['serial', eb.val(1), eb.val(search.length)]), '=', search),
          sql<boolean>`lower(subject) like ${containing(search)} escape ${'\\'}`,
        ]),
      );
    }
    if (query.platform !== undefined) filtered = filtered.where('platform', '=', query.platform);
    if (query.revoked !== undefined) filtered = filtered.where(revocationIs(query.revoked));
    // Both descending, so the (issued_at, serial) index gives the order without a sort.
    const { rows, total } = await pageWithTotal(
      filtered.selectAll().orderBy('issued_at', 'desc').orderBy('serial', 'desc'),
      filtered,
      query,
    );
    return { items: rows.map(toRecord), total };
  }
}
