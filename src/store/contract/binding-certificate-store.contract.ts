import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingCertificateRecord, BindingCertificateStore } from '../binding-certificate-store.js';

export interface BindingCertificateStoreHarness {
  store: BindingCertificateStore;
  cleanup(): Promise<void>;
}

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-01T00:00:00Z');

function record(overrides: Partial<BindingCertificateRecord> = {}): BindingCertificateRecord {
  return {
    serial: randomBytes(16).toString('hex'),
    policy: 'default',
    platform: 'android',
    subject: 'CN=Simulated, serialNumber=00',
    keyThumbprint: randomBytes(32).toString('hex'),
    summary: { securityLevel: 'trusted-environment', app: ['com.example.wallet'], osPatchLevel: '2026-11' },
    issuedAt: NOW,
    notAfter: NOW + 30 * DAY,
    ...overrides,
  };
}

/** The behaviour every BindingCertificateStore must have; run once per backend. */
export function describeBindingCertificateStoreContract(
  name: string,
  open: () => Promise<BindingCertificateStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`BindingCertificateStore contract: ${name}`, () => {
    let harness: BindingCertificateStoreHarness;
    beforeAll(async () => {
      harness = await open();
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('records and finds a certificate with its summary and times as numbers', async () => {
      const issued = record({ platform: 'apple', summary: { nested: { environment: 'production' }, rkp: false } });
      await harness.store.record(issued);
      expect(await harness.store.find(issued.serial)).toEqual(issued);
      expect(await harness.store.find('ff'.repeat(16))).toBeUndefined();
    });

    it('refuses a second record with the same serial and keeps the first', async () => {
      const first = record();
      await harness.store.record(first);
      await expect(harness.store.record({ ...first, policy: 'other' })).rejects.toThrow();
      expect((await harness.store.find(first.serial))?.policy).toBe('default');
    });

    it('revokes exactly once under 20 concurrent revocations', async () => {
      const issued = record();
      await harness.store.record(issued);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => harness.store.revoke(issued.serial, 'keyCompromise', NOW + 1000 + i)),
      );
      expect(outcomes.filter((outcome) => outcome === 'revoked')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'already-revoked')).toHaveLength(19);
      const stored = await harness.store.find(issued.serial);
      expect(stored).toMatchObject({ revocationReason: 'keyCompromise' });
      expect(stored!.revokedAt).toBeGreaterThanOrEqual(NOW + 1000);
      expect(await harness.store.revoke('ab'.repeat(16), 'superseded', NOW)).toBe('unknown');
    });

    it('lists for the CRL only revoked certificates that have not expired, oldest revocation first', async () => {
      const later = record();
      const earlier = record();
      const expired = record({ notAfter: NOW + DAY });
      const valid = record();
      for (const entry of [later, earlier, expired, valid]) await harness.store.record(entry);
      await harness.store.revoke(later.serial, 'superseded', NOW + 3 * DAY);
      await harness.store.revoke(earlier.serial, 'unspecified', NOW + 2 * DAY);
      await harness.store.revoke(expired.serial, 'keyCompromise', NOW + 2 * DAY);
      const onCrl = (await harness.store.revokedUnexpired(NOW + 4 * DAY)).filter((entry) =>
        [later, earlier, expired, valid].some((candidate) => candidate.serial === entry.serial),
      );
      expect(onCrl).toEqual([
        { serial: earlier.serial, revokedAt: NOW + 2 * DAY, reason: 'unspecified' },
        { serial: later.serial, revokedAt: NOW + 3 * DAY, reason: 'superseded' },
      ]);
    });

    it('lists newest first, limited, and by key thumbprint', async () => {
      const thumbprint = randomBytes(32).toString('hex');
      const entries = [0, 1, 2].map((i) => record({ keyThumbprint: thumbprint, issuedAt: NOW + 10 * DAY + i * 1000 }));
      for (const entry of entries) await harness.store.record(entry);
      expect((await harness.store.list({ limit: 10, keyThumbprint: thumbprint })).map((entry) => entry.serial)).toEqual(
        [...entries].reverse().map((entry) => entry.serial),
      );
      expect(await harness.store.list({ limit: 2 })).toEqual([entries[2], entries[1]]);
    });

    it('pages newest issued first, searching a serial prefix or a subject substring, by platform and revocation', async () => {
      const prefix = randomBytes(5).toString('hex');
      const tag = randomBytes(4).toString('hex');
      const serial = () => `${prefix}${randomBytes(11).toString('hex')}`;
      const LATER = NOW + 100 * DAY;
      const entries = [
        record({ serial: serial(), issuedAt: LATER + 1, subject: `CN=Pixel ${tag}` }),
        record({ serial: serial(), issuedAt: LATER + 2, platform: 'apple' }),
        record({ serial: serial(), issuedAt: LATER + 3, subject: `CN=100%_\\ ${tag.toUpperCase()}` }),
        record({ issuedAt: LATER + 4, subject: `O=Example, CN=pixel ${tag}`, platform: 'apple' }),
        record({ issuedAt: LATER + 5, subject: 'CN=Unrelated' }),
      ];
      for (const entry of entries) await harness.store.record(entry);
      await harness.store.revoke(entries[0]!.serial, 'superseded', LATER + 10);
      const [, b, c, d] = entries;
      const a = { ...entries[0]!, revokedAt: LATER + 10, revocationReason: 'superseded' };

      expect(await harness.store.page({ limit: 10, search: prefix })).toEqual({ items: [c, b, a], total: 3 });
      // Serials are lowercase hex, so an uppercase prefix finds them too; a serial's middle does not.
      expect((await harness.store.page({ limit: 10, search: prefix.toUpperCase() })).total).toBe(3);
      expect((await harness.store.page({ limit: 10, search: a.serial.slice(2, 12) })).total).toBe(0);
      expect(await harness.store.page({ limit: 10, search: a.serial })).toEqual({ items: [a], total: 1 });
      expect(await harness.store.page({ limit: 10, search: `PIXEL ${tag}` })).toEqual({ items: [d, a], total: 2 });
      // LIKE wildcards are literal.
      expect((await harness.store.page({ limit: 10, search: `100%_\\ ${tag}` })).items).toEqual([c]);
      expect((await harness.store.page({ limit: 10, search: `%${tag}` })).total).toBe(0);
      expect((await harness.store.page({ limit: 10, search: `_${tag}` })).total).toBe(0);

      expect(await harness.store.page({ limit: 10, search: prefix, platform: 'apple' })).toEqual({
        items: [b],
        total: 1,
      });
      expect(await harness.store.page({ limit: 10, search: prefix, revoked: true })).toEqual({ items: [a], total: 1 });
      expect(await harness.store.page({ limit: 10, search: prefix, revoked: false })).toEqual({
        items: [c, b],
        total: 2,
      });
      expect(await harness.store.page({ limit: 1, offset: 1, search: prefix })).toEqual({ items: [b], total: 3 });
      expect(await harness.store.page({ limit: 10, offset: 3, search: prefix })).toEqual({ items: [], total: 3 });

      const newest = await harness.store.page({ limit: 2 });
      expect(newest.items).toEqual([entries[4], d]);
      expect(newest.total).toBeGreaterThanOrEqual(entries.length + 8);
    });
  });
}
