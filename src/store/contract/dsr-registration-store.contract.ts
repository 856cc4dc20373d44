import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppAttestKeyRecord, AppAttestKeyStore } from '../app-attest-key-store.js';
import type { DsrRegistration, DsrRegistrationStore } from '../dsr-store.js';

export interface DsrRegistrationStoreHarness {
  store: { registrations: DsrRegistrationStore; appAttestKeys: AppAttestKeyStore };
  cleanup(): Promise<void>;
}

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

const uniqueUser = () => `X${randomBytes(5).toString('hex').toUpperCase()}`;
const newSub = () => randomBytes(32).toString('base64');

const android = (userId: string, overrides: Partial<DsrRegistration> = {}): DsrRegistration => ({
  sub: newSub(),
  userId,
  platform: 'android',
  certificateSerial: randomBytes(16).toString('hex'),
  certificateNotAfter: T0 + 365 * DAY,
  attestKeySpki: randomBytes(91).toString('base64'),
  facts: { packageName: 'de.gematik.dsr.android', versionCode: 1, securityPatch: '2023-01-01' },
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

const appAttestKey = (overrides: Partial<AppAttestKeyRecord> = {}): AppAttestKeyRecord => ({
  keyId: randomBytes(32).toString('base64'),
  appId: 'A9FL89PFFL.de.gematik.dsr',
  publicKey: randomBytes(91).toString('base64'),
  environment: 'production',
  counter: 0,
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

const ios = (userId: string, key: AppAttestKeyRecord, overrides: Partial<DsrRegistration> = {}): DsrRegistration => ({
  sub: newSub(),
  userId,
  platform: 'ios',
  certificateSerial: randomBytes(16).toString('hex'),
  certificateNotAfter: T0 + 365 * DAY,
  appAttestKeyId: key.keyId,
  facts: { systemModel: 'iPhone15,2', systemVersion: '17.1' },
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

/** The behaviour every DsrRegistrationStore must have; run once per backend. */
export function describeDsrRegistrationStoreContract(
  name: string,
  open: () => Promise<DsrRegistrationStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`DsrRegistrationStore contract: ${name}`, () => {
    let harness: DsrRegistrationStoreHarness;
    let registrations: DsrRegistrationStore;
    let keys: AppAttestKeyStore;
    beforeAll(async () => {
      harness = await open();
      ({ registrations, appAttestKeys: keys } = harness.store);
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('creates a registration and returns it as stored', async () => {
      const registration = android(uniqueUser());
      expect(await registrations.register(registration)).toBe('created');
      expect(await registrations.bySub(registration.sub)).toEqual(registration);
      expect(await registrations.bySub(newSub())).toBeUndefined();
    });

    it('replaces a registration of the same user, keeping createdAt', async () => {
      const userId = uniqueUser();
      const first = android(userId);
      await registrations.register(first);
      const second = android(userId, {
        sub: first.sub,
        certificateSerial: 'feed',
        facts: { renewed: true },
        createdAt: T0 + DAY,
        updatedAt: T0 + DAY,
      });
      expect(await registrations.register(second)).toBe('replaced');
      expect(await registrations.bySub(first.sub)).toEqual({ ...second, createdAt: T0 });
    });

    it('refuses a registration of another user for the same sub, writing nothing', async () => {
      const first = android(uniqueUser());
      await registrations.register(first);
      expect(await registrations.register(android(uniqueUser(), { sub: first.sub, updatedAt: T0 + DAY }))).toBe(
        'conflict',
      );
      const key = appAttestKey();
      expect(await registrations.register(ios(uniqueUser(), key, { sub: first.sub }), key)).toBe('conflict');
      expect(await keys.find(key.keyId)).toBeUndefined();
      expect(await registrations.bySub(first.sub)).toEqual(first);
    });

    it('stores the App Attest key with the registration', async () => {
      const key = appAttestKey();
      const registration = ios(uniqueUser(), key);
      expect(await registrations.register(registration, key)).toBe('created');
      expect(await registrations.bySub(registration.sub)).toEqual(registration);
      expect(await keys.find(key.keyId)).toEqual(key);
    });

    it('writes nothing (neither table) when the App Attest key id is already stored', async () => {
      const key = appAttestKey();
      expect(await keys.insert(key)).toBe(true);
      const intruder = { ...key, appId: 'ZZZZZ99999.org.intruder' };
      const registration = ios(uniqueUser(), key);
      expect(await registrations.register(registration, intruder)).toBe('conflict');
      expect(await registrations.bySub(registration.sub)).toBeUndefined();
      expect(await keys.find(key.keyId)).toEqual(key);

      // Nor does a replacement: the existing registration stays as it was.
      const userId = uniqueUser();
      const ownKey = appAttestKey();
      const existing = ios(userId, ownKey);
      await registrations.register(existing, ownKey);
      const replacement = ios(userId, key, { sub: existing.sub, updatedAt: T0 + DAY });
      expect(await registrations.register(replacement, intruder)).toBe('conflict');
      expect(await registrations.bySub(existing.sub)).toEqual(existing);
      expect(await keys.find(ownKey.keyId)).toEqual(ownKey);
      expect(await keys.find(key.keyId)).toEqual(key);
    });

    it('drops the replaced registration’s App Attest key row', async () => {
      const userId = uniqueUser();
      const [oldKey, newKey] = [appAttestKey(), appAttestKey()];
      const first = ios(userId, oldKey);
      await registrations.register(first, oldKey);
      const second = ios(userId, newKey, { sub: first.sub, updatedAt: T0 + DAY });
      expect(await registrations.register(second, newKey)).toBe('replaced');
      expect(await registrations.bySub(first.sub)).toEqual(second);
      expect(await keys.find(oldKey.keyId)).toBeUndefined();
      expect(await keys.find(newKey.keyId)).toEqual(newKey);
    });

    it('refuses an App Attest key other than the one the registration names', async () => {
      await expect(registrations.register(ios(uniqueUser(), appAttestKey()), appAttestKey())).rejects.toThrow(
        TypeError,
      );
    });

    it('lists a user’s registrations oldest first', async () => {
      const userId = uniqueUser();
      const later = android(userId, { createdAt: T0 + 2 * DAY });
      const earlier = android(userId, { createdAt: T0 + DAY });
      await registrations.register(later);
      await registrations.register(earlier);
      await registrations.register(android(uniqueUser()));
      expect(await registrations.byUser(userId)).toEqual([earlier, later]);
      expect(await registrations.byUser(uniqueUser())).toEqual([]);
    });

    it('deletes a registration with its App Attest key row', async () => {
      const key = appAttestKey();
      const registration = ios(uniqueUser(), key);
      await registrations.register(registration, key);
      expect(await registrations.delete(registration.sub)).toBe(true);
      expect(await registrations.bySub(registration.sub)).toBeUndefined();
      expect(await keys.find(key.keyId)).toBeUndefined();
      expect(await registrations.delete(registration.sub)).toBe(false);

      const plain = android(uniqueUser());
      await registrations.register(plain);
      expect(await registrations.delete(plain.sub)).toBe(true);
    });

    it('deletes all of a user’s registrations and their App Attest key rows, counting them', async () => {
      const userId = uniqueUser();
      const other = android(uniqueUser());
      const [first, second] = [appAttestKey(), appAttestKey()];
      await registrations.register(ios(userId, first), first);
      await registrations.register(ios(userId, second), second);
      await registrations.register(android(userId));
      await registrations.register(other);
      expect(await registrations.deleteByUser(userId)).toBe(3);
      expect(await registrations.byUser(userId)).toEqual([]);
      expect(await keys.find(first.keyId)).toBeUndefined();
      expect(await keys.find(second.keyId)).toBeUndefined();
      expect(await registrations.bySub(other.sub)).toEqual(other);
      expect(await registrations.deleteByUser(userId)).toBe(0);
    });

    it('lists newest first, paged and filtered, with the total', async () => {
      const userId = uniqueUser();
      const made: DsrRegistration[] = [];
      for (let index = 0; index < 5; index++) {
        const key = appAttestKey();
        const registration =
          index % 2 === 0
            ? android(userId, { createdAt: T0 + 10 * DAY + index })
            : ios(userId, key, { createdAt: T0 + 10 * DAY + index });
        await registrations.register(registration, registration.platform === 'ios' ? key : undefined);
        made.push(registration);
      }
      const newest = [...made].reverse();
      expect(await registrations.list({ userId, limit: 2 })).toEqual({ items: newest.slice(0, 2), total: 5 });
      expect(await registrations.list({ userId, limit: 2, offset: 2 })).toEqual({
        items: newest.slice(2, 4),
        total: 5,
      });
      expect(await registrations.list({ userId, limit: 10, offset: 4 })).toEqual({ items: newest.slice(4), total: 5 });
      expect(await registrations.list({ userId, platform: 'ios', limit: 10 })).toEqual({
        items: newest.filter((registration) => registration.platform === 'ios'),
        total: 2,
      });
      expect(await registrations.list({ userId: uniqueUser(), limit: 10 })).toEqual({ items: [], total: 0 });

      const all = await registrations.list({ limit: 1000 });
      expect(all.total).toBe(all.items.length);
      expect(all.total).toBeGreaterThanOrEqual(5);
      const created = all.items.map((registration) => registration.createdAt);
      expect(created).toEqual([...created].sort((a, b) => b - a));
      const androids = await registrations.list({ platform: 'android', limit: 1000 });
      expect(androids.items.every((registration) => registration.platform === 'android')).toBe(true);
      expect(androids.total).toBe(all.items.filter((registration) => registration.platform === 'android').length);
    });

    it('creates exactly one of concurrent registrations of one sub by different users', async () => {
      const sub = newSub();
      const keysUsed = Array.from({ length: 12 }, () => appAttestKey());
      const outcomes = await Promise.all(
        keysUsed.map((key, index) =>
          index % 2 === 0
            ? registrations.register(android(uniqueUser(), { sub }))
            : registrations.register(ios(uniqueUser(), key, { sub }), key),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'conflict')).toHaveLength(11);
      const winner = outcomes.indexOf('created');
      const stored = await registrations.bySub(sub);
      expect(stored?.platform).toBe(winner % 2 === 0 ? 'android' : 'ios');
      // Only the winner's App Attest key (if it had one) was stored.
      const storedKeys = await Promise.all(keysUsed.map((key) => keys.find(key.keyId)));
      expect(storedKeys.filter(Boolean).map((key) => key?.keyId)).toEqual(
        winner % 2 === 0 ? [] : [keysUsed[winner]!.keyId],
      );
    });

    it('gives concurrent registrations of one sub by one user one creation and replacements', async () => {
      const userId = uniqueUser();
      const sub = newSub();
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          registrations.register(android(userId, { sub, createdAt: T0 + index, updatedAt: T0 + index })),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'replaced')).toHaveLength(9);
      expect(await registrations.byUser(userId)).toHaveLength(1);
    });
  });
}
