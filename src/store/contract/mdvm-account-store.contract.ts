import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MdvmAccount, MdvmAccountStore, MdvmAccountUpdate, NewMdvmAccount } from '../mdvm-store.js';

export interface MdvmAccountStoreHarness {
  store: MdvmAccountStore;
  cleanup(): Promise<void>;
}

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
// revokedSince returns every later revocation, so the test of it revokes after all others.
const LISTING = T0 + 1000 * DAY;

const android = (overrides: Partial<NewMdvmAccount> = {}): NewMdvmAccount => ({
  id: randomUUID(),
  platform: 'android',
  authKeyThumbprint: randomBytes(32).toString('base64url'),
  authPublicKey: randomBytes(91).toString('base64'),
  deviceClass: {
    model: 'Pixel 9',
    device: 'tokay',
    product: 'tokay',
    hardware: 'tokay',
    versionPatch: '2026-10-05',
    versionRelease: '16',
    id: 'BP2A',
  },
  attested: {
    osVersion: 160000,
    patchLevel: '2026-10',
    app: { packageName: 'com.example.wallet', version: 42 },
    chain: ['a1b2', 'c3d4'],
  },
  counter: 0,
  createdAt: T0,
  ...overrides,
});

const ios = (overrides: Partial<NewMdvmAccount> = {}): NewMdvmAccount =>
  android({
    platform: 'ios',
    deviceClass: {
      systemVersion: '18.2',
      uname: 'Darwin',
      model: 'iPhone',
      hardwareModel: 'iPhone17,1',
      osVersion: '22C152',
    },
    attested: { osVersion: '18.2', environment: 'production' },
    appAttestKeyId: randomBytes(32).toString('base64'),
    counter: 1,
    ...overrides,
  });

const renewal = (overrides: Partial<MdvmAccountUpdate> = {}): MdvmAccountUpdate => ({
  deviceClass: { model: 'Pixel 9', versionPatch: '2026-11-05' },
  attested: { patchLevel: '2026-11', renewed: true },
  counter: 5,
  at: T0 + DAY,
  ...overrides,
});

/** What `find` returns right after `create`. */
const asCreated = (account: NewMdvmAccount, version: number): MdvmAccount => ({
  ...account,
  version,
  updatedAt: account.createdAt,
});

/** UUID-shaped ids above any random UUID's, so listActive can be tested on its own accounts. */
const highId = (n: number) => `ffffffff-ffff-4fff-8fff-${n.toString().padStart(12, '0')}`;

/** The behaviour every MdvmAccountStore must have; run once per backend. */
export function describeMdvmAccountStoreContract(
  name: string,
  open: () => Promise<MdvmAccountStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`MdvmAccountStore contract: ${name}`, () => {
    let harness: MdvmAccountStoreHarness;
    let store: MdvmAccountStore;
    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('creates accounts and returns them as stored, JSON and large numbers intact', async () => {
      const first = android({
        attested: {
          nested: { deeper: { list: [1, 2.5, -3, null, true, false, '', [], {}] } },
          unicode: 'Grüße — 日本語 — 🔐 — e\u0301 — \u0000\u001f "quoted" \\ back',
          'key with "quotes" and ü': ['x', { y: 'z' }],
          largest: Number.MAX_SAFE_INTEGER,
        },
        deviceClass: { model: 'Ünïcödé 📱', product: '' },
        createdAt: T0 + 123,
      });
      const second = ios({ counter: 4_294_967_295 });
      expect(await store.create(first)).toBe('created');
      expect(await store.create(second)).toBe('created');
      const stored = await store.find(first.id);
      expect(stored).toEqual(asCreated(first, stored!.version));
      expect(stored).not.toHaveProperty('appAttestKeyId');
      expect(stored).not.toHaveProperty('revokedAt');
      expect(typeof stored!.createdAt).toBe('number');
      expect(typeof stored!.version).toBe('number');
      const storedIos = await store.find(second.id);
      expect(storedIos).toEqual(asCreated(second, storedIos!.version));
      expect(await store.find(randomUUID())).toBeUndefined();
    });

    it('refuses a second account for the same auth key and writes nothing', async () => {
      const first = android();
      await store.create(first);
      const again = android({ authKeyThumbprint: first.authKeyThumbprint, deviceClass: { model: 'Intruder' } });
      expect(await store.create(again)).toBe('key-registered');
      expect(await store.find(again.id)).toBeUndefined();
      const stored = await store.find(first.id);
      expect(stored).toEqual(asCreated(first, stored!.version));
    });

    it('refuses a second account for the same App Attest key id and writes nothing', async () => {
      const first = ios();
      await store.create(first);
      const again = ios({ appAttestKeyId: first.appAttestKeyId });
      expect(await store.create(again)).toBe('app-attest-key-registered');
      expect(await store.find(again.id)).toBeUndefined();
      // When both keys are taken, the auth key is what is reported.
      const other = ios();
      await store.create(other);
      expect(
        await store.create(ios({ authKeyThumbprint: first.authKeyThumbprint, appAttestKeyId: other.appAttestKeyId })),
      ).toBe('key-registered');
    });

    it('creates any number of accounts without an App Attest key id', async () => {
      const outcomes = await Promise.all([android(), android(), android()].map((account) => store.create(account)));
      expect(outcomes).toEqual(['created', 'created', 'created']);
    });

    it('creates exactly one of 50 concurrent accounts with the same auth key', async () => {
      const thumbprint = randomBytes(32).toString('base64url');
      const accounts = Array.from({ length: 50 }, () => android({ authKeyThumbprint: thumbprint }));
      const outcomes = await Promise.all(accounts.map((account) => store.create(account)));
      expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'key-registered')).toHaveLength(49);
      const found = await Promise.all(accounts.map((account) => store.find(account.id)));
      expect(found.filter(Boolean)).toHaveLength(1);
      expect(found[outcomes.indexOf('created')]?.id).toBe(accounts[outcomes.indexOf('created')]!.id);
    });

    it('creates exactly one of 50 concurrent accounts with the same App Attest key id', async () => {
      const keyId = randomBytes(32).toString('base64');
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, () => store.create(ios({ appAttestKeyId: keyId }))),
      );
      expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'app-attest-key-registered')).toHaveLength(49);
    });

    it('updates at the expected version, moving it on, and refuses a stale version', async () => {
      const account = ios();
      await store.create(account);
      const { version } = (await store.find(account.id))!;
      const update = renewal({ attested: { patchLevel: '2026-11', list: [{ ключ: 'значение' }] } });
      expect(await store.update(account.id, version, update)).toBe('updated');
      const updated = await store.find(account.id);
      expect(updated).toEqual({
        ...account,
        deviceClass: update.deviceClass,
        attested: update.attested,
        counter: update.counter,
        updatedAt: update.at,
        version: updated!.version,
      });
      expect(updated!.version).not.toBe(version);
      expect(await store.update(account.id, version, renewal({ counter: 6 }))).toBe('conflict');
      expect(await store.find(account.id)).toEqual(updated);
      expect(await store.update(account.id, updated!.version, renewal({ counter: 7, at: T0 + 2 * DAY }))).toBe(
        'updated',
      );
      expect(await store.find(account.id)).toMatchObject({
        counter: 7,
        updatedAt: T0 + 2 * DAY,
        createdAt: account.createdAt,
      });
      expect(await store.update(randomUUID(), version, renewal())).toBe('unknown');
    });

    it('applies exactly one of 20 concurrent updates at the same version', async () => {
      const account = ios();
      await store.create(account);
      const { version } = (await store.find(account.id))!;
      const updates = Array.from({ length: 20 }, (_, i) => renewal({ counter: 100 + i, at: T0 + DAY + i }));
      const outcomes = await Promise.all(updates.map((update) => store.update(account.id, version, update)));
      expect(outcomes.filter((outcome) => outcome === 'updated')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'conflict')).toHaveLength(19);
      const winner = updates[outcomes.indexOf('updated')]!;
      expect(await store.find(account.id)).toMatchObject({ counter: winner.counter, updatedAt: winner.at });
    });

    it('refuses updates to a revoked account and leaves it unchanged', async () => {
      const account = android();
      await store.create(account);
      const { version } = (await store.find(account.id))!;
      expect(await store.revoke(account.id, 'vulnerable-unfixable', T0 + DAY)).toBe('revoked');
      const revoked = await store.find(account.id);
      expect(revoked).toEqual({
        ...asCreated(account, version),
        revokedAt: T0 + DAY,
        revocationReason: 'vulnerable-unfixable',
      });
      expect(await store.update(account.id, version, renewal())).toBe('revoked');
      expect(await store.find(account.id)).toEqual(revoked);
    });

    it('revokes exactly once under 20 concurrent revocations', async () => {
      const account = android();
      await store.create(account);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.revoke(account.id, `reason-${i}`, T0 + DAY + i)),
      );
      expect(outcomes.filter((outcome) => outcome === 'revoked')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'already-revoked')).toHaveLength(19);
      const winner = outcomes.indexOf('revoked');
      expect(await store.find(account.id)).toMatchObject({
        revokedAt: T0 + DAY + winner,
        revocationReason: `reason-${winner}`,
      });
      expect(await store.revoke(randomUUID(), 'unspecified', T0)).toBe('unknown');
    });

    it('deletes to a tombstone that keeps both keys registered', async () => {
      const account = ios();
      await store.create(account);
      const { version } = (await store.find(account.id))!;
      expect(await store.delete(account.id, T0 + DAY)).toBe('revoked');
      expect(await store.find(account.id)).toEqual({
        ...asCreated(account, version),
        deviceClass: {},
        attested: {},
        revokedAt: T0 + DAY,
        revocationReason: 'deleted',
      });
      expect(await store.delete(account.id, T0 + 2 * DAY)).toBe('already-revoked');
      expect(await store.find(account.id)).toMatchObject({ revokedAt: T0 + DAY, revocationReason: 'deleted' });
      expect(await store.create(ios({ authKeyThumbprint: account.authKeyThumbprint }))).toBe('key-registered');
      expect(await store.create(ios({ appAttestKeyId: account.appAttestKeyId }))).toBe('app-attest-key-registered');
      expect(await store.update(account.id, version, renewal())).toBe('revoked');
      expect(await store.delete(randomUUID(), T0)).toBe('unknown');
    });

    it('erases the device data of a revoked account on deletion but keeps its revocation', async () => {
      const account = android();
      await store.create(account);
      const { version } = (await store.find(account.id))!;
      await store.revoke(account.id, 'vulnerable-fixable', T0 + DAY);
      expect(await store.delete(account.id, T0 + 2 * DAY)).toBe('already-revoked');
      expect(await store.find(account.id)).toEqual({
        ...asCreated(account, version),
        deviceClass: {},
        attested: {},
        revokedAt: T0 + DAY,
        revocationReason: 'vulnerable-fixable',
      });
    });

    it('revokes once and always erases under 20 concurrent deletions and revocations', async () => {
      const account = android();
      await store.create(account);
      const { version } = (await store.find(account.id))!;
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0 ? store.delete(account.id, T0 + DAY + i) : store.revoke(account.id, 'superseded', T0 + DAY + i),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'revoked')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'already-revoked')).toHaveLength(19);
      const winner = outcomes.indexOf('revoked');
      expect(await store.find(account.id)).toEqual({
        ...asCreated(account, version),
        deviceClass: {},
        attested: {},
        revokedAt: T0 + DAY + winner,
        revocationReason: winner % 2 === 0 ? 'deleted' : 'superseded',
      });
    });

    it('lists revocations since a time, by time then id, limited', async () => {
      const [a, b, c, d, active] = [android(), android(), ios(), android(), android()];
      for (const account of [a, b, c, d, active]) await store.create(account);
      await store.revoke(a.id, 'vulnerable-unfixable', LISTING + 2);
      await store.revoke(b.id, 'vulnerable-fixable', LISTING + 1);
      await store.revoke(c.id, 'leaked-key', LISTING + 1);
      await store.delete(d.id, LISTING + 3);
      const tied = [
        { id: b.id, revokedAt: LISTING + 1, reason: 'vulnerable-fixable' },
        { id: c.id, revokedAt: LISTING + 1, reason: 'leaked-key' },
      ].sort((x, y) => (x.id < y.id ? -1 : 1));
      const all = [
        ...tied,
        { id: a.id, revokedAt: LISTING + 2, reason: 'vulnerable-unfixable' },
        { id: d.id, revokedAt: LISTING + 3, reason: 'deleted' },
      ];
      expect(await store.revokedSince(LISTING, 10)).toEqual(all);
      expect(await store.revokedSince(LISTING + 1, 10)).toEqual(all);
      expect(await store.revokedSince(LISTING + 2, 10)).toEqual(all.slice(2));
      expect(await store.revokedSince(LISTING, 3)).toEqual(all.slice(0, 3));
      expect(await store.revokedSince(LISTING + 4, 10)).toEqual([]);
    });

    it('lists active accounts after an id, by id, limited', async () => {
      const accounts = [3, 0, 4, 1, 2].map((n) => android({ id: highId(n), createdAt: T0 + n }));
      for (const account of accounts) await store.create(account);
      await store.revoke(highId(2), 'vulnerable-unfixable', T0 + DAY);
      await store.delete(highId(4), T0 + DAY);
      const byId = new Map(
        await Promise.all(accounts.map(async (account) => [account.id, await store.find(account.id)] as const)),
      );
      const expected = [0, 1, 3].map((n) => byId.get(highId(n)));
      const after = 'ffffffff-';
      expect(await store.listActive(after, 10)).toEqual(expected);
      expect(await store.listActive(after, 2)).toEqual(expected.slice(0, 2));
      expect(await store.listActive(highId(1), 2)).toEqual(expected.slice(2));
      expect(await store.listActive(highId(3), 2)).toEqual([]);
    });

    it('pages newest created first, by id prefix, platform and revocation', async () => {
      // A prefix starting with 0 keeps these ids below the listActive test's.
      const prefix = `0${randomBytes(4).toString('hex').slice(1)}`;
      const id = (n: number) => `${prefix}-0000-4000-8000-${n.toString().padStart(12, '0')}`;
      const LATER = T0 + 100 * DAY;
      const accounts = [
        android({ id: id(1), createdAt: LATER + 1 }),
        ios({ id: id(2), createdAt: LATER + 2 }),
        android({ id: id(3), createdAt: LATER + 3 }),
        android({ id: id(4), createdAt: LATER + 3 }),
      ];
      for (const account of accounts) await store.create(account);
      await store.revoke(id(1), 'vulnerable-fixable', LATER + 5);
      const [first, second, third, fourth] = await Promise.all(accounts.map((account) => store.find(account.id)));

      // Equal creation times: the greater id first.
      expect(await store.page({ limit: 10, search: prefix })).toEqual({
        items: [fourth, third, second, first],
        total: 4,
      });
      expect(await store.page({ limit: 10, search: prefix.toUpperCase() })).toEqual(
        await store.page({ limit: 10, search: prefix }),
      );
      expect(await store.page({ limit: 10, search: id(3) })).toEqual({ items: [third], total: 1 });
      expect((await store.page({ limit: 10, search: id(3).slice(1) })).total).toBe(0);
      expect(await store.page({ limit: 10, search: prefix, platform: 'ios' })).toEqual({ items: [second], total: 1 });
      expect(await store.page({ limit: 10, search: prefix, revoked: true })).toEqual({ items: [first], total: 1 });
      expect(await store.page({ limit: 10, search: prefix, platform: 'android', revoked: false })).toEqual({
        items: [fourth, third],
        total: 2,
      });
      expect(await store.page({ limit: 2, offset: 1, search: prefix })).toEqual({ items: [third, second], total: 4 });

      const newest = await store.page({ limit: 1 });
      expect(newest.items).toEqual([fourth]);
      expect(newest.total).toBeGreaterThan(4);
    });
  });
}
