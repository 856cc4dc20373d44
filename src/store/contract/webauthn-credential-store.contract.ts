import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeywardError } from '../../errors.js';
import type {
  NewWebAuthnCredential,
  WebAuthnCredential,
  WebAuthnCredentialStore,
  WebAuthnUserStore,
} from '../webauthn-store.js';

export interface WebAuthnStoreHarness {
  store: { users: WebAuthnUserStore; credentials: WebAuthnCredentialStore };
  cleanup(): Promise<void>;
}

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const U2F_AAGUID = '00000000-0000-0000-0000-000000000000';

const uniqueName = (prefix = 'user') => `${prefix}-${randomBytes(6).toString('hex')}@example.com`;

const credential = (userHandle: string, overrides: Partial<NewWebAuthnCredential> = {}): NewWebAuthnCredential => ({
  credentialId: randomBytes(32).toString('base64url'),
  userHandle,
  // A COSE_Key's CBOR (kty 2, alg -7, crv 1, x, y) is 77 bytes; random bytes stand in for it.
  publicKey: new Uint8Array(randomBytes(77)),
  alg: -7,
  counter: 0,
  transports: ['internal', 'hybrid'],
  aaguid: randomUUID(),
  fmt: 'packed',
  attestationType: 'basic',
  trust: 'metadata',
  attestation: {
    outcome: 'verified',
    anchor: 'CN=Example Authenticator Root',
    trustPath: ['CN=Example Authenticator Attestation', 'CN=Example Authenticator CA'],
    warnings: [],
  },
  metadata: { found: true, description: 'Example Authenticator', statuses: ['FIDO_CERTIFIED_L1'], source: 'mds#9' },
  userVerified: true,
  backupEligible: true,
  backedUp: false,
  discoverable: true,
  createdAt: T0,
  ...overrides,
});

/** What `get` returns right after `create`: the record itself. */
const asStored = (record: NewWebAuthnCredential): WebAuthnCredential => ({ ...record });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The behaviour every WebAuthnUserStore and WebAuthnCredentialStore must have; run once per backend. */
export function describeWebAuthnStoreContract(
  name: string,
  open: () => Promise<WebAuthnStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`WebAuthn user and credential stores contract: ${name}`, () => {
    let harness: WebAuthnStoreHarness;
    let users: WebAuthnUserStore;
    let credentials: WebAuthnCredentialStore;
    beforeAll(async () => {
      harness = await open();
      ({ users, credentials } = harness.store);
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    const newUser = async (userName = uniqueName()) => users.ensure(userName, `Display of ${userName}`, T0);

    describe('users', () => {
      it('creates a user once, with a random 32-byte base64url handle, and finds it by name and handle', async () => {
        const userName = uniqueName();
        const first = await users.ensure(userName, 'Ada Lovelace', T0 + 5);
        expect(first).toEqual({
          userHandle: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          userName,
          displayName: 'Ada Lovelace',
          createdAt: T0 + 5,
          created: true,
        });
        expect(Buffer.from(first.userHandle, 'base64url')).toHaveLength(32);
        // Again: the same user, unchanged (the display name given now is not applied).
        const again = await users.ensure(userName, 'Someone Else', T0 + DAY);
        expect(again).toEqual({ ...first, created: false });
        const { created: _, ...user } = first;
        expect(await users.byName(userName)).toEqual(user);
        expect(await users.byHandle(first.userHandle)).toEqual(user);
        expect(typeof (await users.byName(userName))!.createdAt).toBe('number');
      });

      it('gives different users different handles, matches names exactly, and finds no unknown user', async () => {
        const name = uniqueName('Grüße 日本語 🔐 "quoted" \\');
        const [a, b, c] = [
          await users.ensure(name, 'Ünïcödé — 🔐', T0),
          await users.ensure(name.toUpperCase(), 'Upper', T0),
          await users.ensure(uniqueName(), 'Other', T0),
        ];
        expect(new Set([a.userHandle, b.userHandle, c.userHandle]).size).toBe(3);
        expect(a.created && b.created && c.created).toBe(true);
        expect(await users.byName(name)).toMatchObject({ userHandle: a.userHandle, displayName: 'Ünïcödé — 🔐' });
        expect(await users.byName(name.toUpperCase())).toMatchObject({ userHandle: b.userHandle });
        expect(await users.byName(uniqueName())).toBeUndefined();
        expect(await users.byHandle(randomBytes(32).toString('base64url'))).toBeUndefined();
      });

      it('creates exactly one user of 50 concurrent ensures of one name, all returning its handle', async () => {
        const userName = uniqueName();
        const outcomes = await Promise.all(
          Array.from({ length: 50 }, (_, i) => users.ensure(userName, `Display ${i}`, T0 + i)),
        );
        expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
        const winner = outcomes.find((outcome) => outcome.created)!;
        expect(new Set(outcomes.map((outcome) => outcome.userHandle))).toEqual(new Set([winner.userHandle]));
        for (const outcome of outcomes) expect(outcome).toEqual({ ...winner, created: outcome.created });
        expect(await users.byName(userName)).toMatchObject({
          userHandle: winner.userHandle,
          displayName: winner.displayName,
        });
      });
      it('creates a user with a given handle once; a later handle for the same name gets the first user', async () => {
        const userName = uniqueName();
        const handle = randomBytes(32).toString('base64url');
        const first = await users.ensureWithHandle(handle, userName, 'Ada', T0);
        expect(first).toEqual({ userHandle: handle, userName, displayName: 'Ada', createdAt: T0, created: true });
        const other = randomBytes(32).toString('base64url');
        expect(await users.ensureWithHandle(other, userName, 'Eve', T0 + 1)).toEqual({ ...first, created: false });
        expect(await users.byHandle(other)).toBeUndefined();
        expect(await users.byName(userName)).toMatchObject({ userHandle: handle, displayName: 'Ada' });
      });

      it('creates one user of 10 concurrent ensures of one name with different handles', async () => {
        const userName = uniqueName();
        const handles = Array.from({ length: 10 }, () => randomBytes(32).toString('base64url'));
        const outcomes = await Promise.all(handles.map((handle) => users.ensureWithHandle(handle, userName, 'x', T0)));
        expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
        const winner = outcomes.find((outcome) => outcome.created)!;
        expect(handles).toContain(winner.userHandle);
        expect(new Set(outcomes.map((outcome) => outcome.userHandle))).toEqual(new Set([winner.userHandle]));
      });

      it('keeps pending users (no user row) until they expire, and forgets expired ones', async () => {
        const userName = uniqueName();
        const pending = {
          userHandle: randomBytes(32).toString('base64url'),
          userName,
          displayName: 'Pending 🔐',
          expiresAt: T0 + 60_000,
        };
        await users.reservePending(pending, T0);
        expect(await users.pending(pending.userHandle, T0 + 1)).toEqual(pending);
        expect(await users.pending(pending.userHandle, T0 + 60_000)).toEqual(pending);
        expect(await users.pendingByName(userName, T0 + 1)).toEqual(pending);
        expect(await users.pending(pending.userHandle, T0 + 60_001)).toBeUndefined();
        expect(await users.pendingByName(userName, T0 + 60_001)).toBeUndefined();
        // Reserved again (new options for the name): kept until the later expiry, name and display name unchanged.
        await users.reservePending({ ...pending, displayName: 'Other', expiresAt: T0 + 90_000 }, T0 + 2);
        await users.reservePending({ ...pending, expiresAt: T0 + 70_000 }, T0 + 3);
        expect(await users.pending(pending.userHandle, T0 + 80_000)).toEqual({ ...pending, expiresAt: T0 + 90_000 });
        expect(await users.byName(userName)).toBeUndefined();
        expect(await users.byHandle(pending.userHandle)).toBeUndefined();
        // A later reservation purges it.
        const later = { ...pending, userHandle: randomBytes(32).toString('base64url'), expiresAt: T0 + 2 * DAY };
        await users.reservePending(later, T0 + DAY);
        expect(await users.pending(pending.userHandle, T0)).toBeUndefined();
        expect(await users.pending(later.userHandle, T0 + DAY)).toEqual(later);
        expect(await users.pending(randomBytes(32).toString('base64url'), T0)).toBeUndefined();
      });
    });

    describe('credentials', () => {
      it('creates credentials and returns them as stored: key bytes, JSON, flags and large counters intact', async () => {
        const user = await newUser();
        const full = credential(user.userHandle, {
          publicKey: new Uint8Array([0xa5, 0x01, 0x02, 0x03, 0x26, 0x00, 0xff, ...randomBytes(600)]),
          alg: -257,
          counter: 4_294_967_295,
          attestation: {
            outcome: 'untrusted',
            trustPath: ['CN=Ünïcödé 🔐, O="Quoted, Inc."'],
            warnings: ['chain does not reach a trusted root', 'e\u0301 \u0000\u001f \\'],
            facts: { nested: { list: [1, 2.5, -3, null, true, false, '', [], {}] }, largest: Number.MAX_SAFE_INTEGER },
          },
          metadata: { found: false, statuses: [] },
          createdAt: T0 + 123,
        });
        const u2f = credential(user.userHandle, {
          alg: -7,
          transports: [],
          aaguid: U2F_AAGUID,
          fmt: 'fido-u2f',
          attestationType: 'basic',
          trust: 'none',
          userVerified: false,
          backupEligible: false,
          backedUp: false,
          discoverable: false,
        });
        const unknownDiscoverability = credential(user.userHandle, {
          fmt: 'none',
          attestationType: 'none',
          backedUp: true,
          discoverable: undefined,
        });
        delete unknownDiscoverability.discoverable;
        for (const record of [full, u2f, unknownDiscoverability]) await credentials.create(record);

        const stored = await credentials.get(full.credentialId);
        expect(stored).toEqual(asStored(full));
        expect(stored!.publicKey).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(stored!.publicKey).equals(Buffer.from(full.publicKey))).toBe(true);
        expect(stored).not.toHaveProperty('lastUsedAt');
        expect(stored).not.toHaveProperty('possiblyClonedAt');
        expect(typeof stored!.counter).toBe('number');
        expect(typeof stored!.createdAt).toBe('number');
        expect(await credentials.get(u2f.credentialId)).toEqual(asStored(u2f));
        const unknown = await credentials.get(unknownDiscoverability.credentialId);
        expect(unknown).toEqual(asStored(unknownDiscoverability));
        expect(unknown).not.toHaveProperty('discoverable');
        expect(await credentials.get(randomBytes(32).toString('base64url'))).toBeUndefined();
      });

      it('refuses an already registered credential id (for any user) with CREDENTIAL_ALREADY_REGISTERED and changes nothing', async () => {
        const [owner, other] = [await newUser(), await newUser()];
        const first = credential(owner.userHandle);
        await credentials.create(first);
        for (const again of [
          credential(owner.userHandle, { credentialId: first.credentialId, counter: 7 }),
          credential(other.userHandle, { credentialId: first.credentialId }),
        ]) {
          const error = await rejection(credentials.create(again));
          expect(error).toBeInstanceOf(KeywardError);
          expect(error).toMatchObject({ category: 'CONTENT', code: 'CREDENTIAL_ALREADY_REGISTERED', status: 409 });
        }
        expect(await credentials.get(first.credentialId)).toEqual(asStored(first));
        expect(await credentials.listByUser(other.userHandle)).toEqual([]);
      });

      it('creates exactly one of 20 concurrent credentials with one id', async () => {
        const user = await newUser();
        const credentialId = randomBytes(16).toString('base64url');
        const records = Array.from({ length: 20 }, (_, i) => credential(user.userHandle, { credentialId, counter: i }));
        const outcomes = await Promise.allSettled(records.map((record) => credentials.create(record)));
        const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        expect(fulfilled).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected')
            expect(outcome.reason).toMatchObject({ code: 'CREDENTIAL_ALREADY_REGISTERED' });
        }
        const winner = records[outcomes.findIndex((outcome) => outcome.status === 'fulfilled')]!;
        expect(await credentials.get(credentialId)).toEqual(asStored(winner));
      });

      it('createFirst stores the first credential of a user only, and refuses further ones with ADDITIONAL_CREDENTIAL_REFUSED', async () => {
        const user = await newUser();
        const first = credential(user.userHandle);
        await credentials.createFirst(first);
        expect(await credentials.get(first.credentialId)).toEqual(asStored(first));
        const second = credential(user.userHandle);
        const error = await rejection(credentials.createFirst(second));
        expect(error).toBeInstanceOf(KeywardError);
        expect(error).toMatchObject({ category: 'TRUST', code: 'ADDITIONAL_CREDENTIAL_REFUSED' });
        expect(await rejection(credentials.createFirst({ ...first, counter: 3 }))).toMatchObject({
          code: 'CREDENTIAL_ALREADY_REGISTERED',
        });
        expect(await credentials.get(second.credentialId)).toBeUndefined();
        expect(await credentials.listByUser(user.userHandle)).toEqual([asStored(first)]);
        // Another user's first credential is unaffected; an unknown user's is refused.
        const other = await newUser();
        await credentials.createFirst(credential(other.userHandle));
        const orphan = credential(randomBytes(32).toString('base64url'));
        await expect(credentials.createFirst(orphan)).rejects.toThrow();
        expect(await credentials.get(orphan.credentialId)).toBeUndefined();
      });

      it('createFirst stores exactly one of 10 racing first registrations of one new user', async () => {
        const handle = randomBytes(32).toString('base64url');
        const user = await users.ensureWithHandle(handle, uniqueName(), 'Racer', T0);
        const records = Array.from({ length: 10 }, (_, i) => credential(user.userHandle, { counter: i }));
        const outcomes = await Promise.allSettled(records.map((record) => credentials.createFirst(record)));
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected')
            expect(outcome.reason).toMatchObject({ code: 'ADDITIONAL_CREDENTIAL_REFUSED' });
        }
        const winner = records[outcomes.findIndex((outcome) => outcome.status === 'fulfilled')]!;
        expect(await credentials.listByUser(user.userHandle)).toEqual([asStored(winner)]);
      });

      it('refuses a credential of an unknown user', async () => {
        const orphan = credential(randomBytes(32).toString('base64url'));
        await expect(credentials.create(orphan)).rejects.toThrow();
        expect(await credentials.get(orphan.credentialId)).toBeUndefined();
      });

      it("lists a user's credentials oldest first, and only theirs", async () => {
        const [user, other] = [await newUser(), await newUser()];
        const records = [2, 0, 1].map((n) => credential(user.userHandle, { createdAt: T0 + n * DAY }));
        for (const record of records) await credentials.create(record);
        await credentials.create(credential(other.userHandle));
        expect(await credentials.listByUser(user.userHandle)).toEqual(
          [...records].sort((a, b) => a.createdAt - b.createdAt).map(asStored),
        );
        expect(await credentials.listByUser(other.userHandle)).toHaveLength(1);
        expect(await credentials.listByUser(randomBytes(32).toString('base64url'))).toEqual([]);
      });

      it('lists for operators newest first with totals, paged, by user name and by AAGUID', async () => {
        const [alice, bob] = [await newUser(uniqueName('alice')), await newUser(uniqueName('bob'))];
        const aaguid = randomUUID();
        const ofAlice = [0, 1, 2].map((n) => credential(alice.userHandle, { aaguid, createdAt: T0 + 10 * DAY + n }));
        const ofBob = [
          credential(bob.userHandle, { aaguid, createdAt: T0 + 10 * DAY + 1 }),
          credential(bob.userHandle, { createdAt: T0 + 10 * DAY + 5 }),
        ];
        for (const record of [...ofAlice, ...ofBob]) await credentials.create(record);
        const listed = (record: NewWebAuthnCredential, userName: string) => ({ ...asStored(record), userName });
        // Ties on createdAt are ordered by credential id, descending.
        const byAaguid = [
          listed(ofAlice[2]!, alice.userName),
          ...[listed(ofAlice[1]!, alice.userName), listed(ofBob[0]!, bob.userName)].sort((a, b) =>
            a.credentialId < b.credentialId ? 1 : -1,
          ),
          listed(ofAlice[0]!, alice.userName),
        ];
        expect(await credentials.list({ offset: 0, limit: 10, aaguid })).toEqual({ credentials: byAaguid, total: 4 });
        expect(await credentials.list({ offset: 1, limit: 2, aaguid })).toEqual({
          credentials: byAaguid.slice(1, 3),
          total: 4,
        });
        expect(await credentials.list({ offset: 4, limit: 2, aaguid })).toEqual({ credentials: [], total: 4 });
        expect(await credentials.list({ offset: 0, limit: 10, userName: bob.userName })).toEqual({
          credentials: [listed(ofBob[1]!, bob.userName), listed(ofBob[0]!, bob.userName)],
          total: 2,
        });
        expect(await credentials.list({ offset: 0, limit: 10, userName: bob.userName, aaguid })).toEqual({
          credentials: [listed(ofBob[0]!, bob.userName)],
          total: 1,
        });
        expect(await credentials.list({ offset: 0, limit: 10, userName: uniqueName() })).toEqual({
          credentials: [],
          total: 0,
        });
        const all = await credentials.list({ offset: 0, limit: 3 });
        expect(all.credentials).toHaveLength(3);
        expect(all.total).toBeGreaterThanOrEqual(5);
        expect(typeof all.total).toBe('number');
      });

      it('records a use only at the expected counter: counter, last use and backup state move together', async () => {
        const user = await newUser();
        const record = credential(user.userHandle, { counter: 5, backedUp: false });
        await credentials.create(record);
        expect(
          await credentials.recordUse(record.credentialId, {
            expectedCounter: 5,
            counter: 9,
            at: T0 + DAY,
            backedUp: true,
          }),
        ).toBe(true);
        const used = await credentials.get(record.credentialId);
        expect(used).toEqual({ ...asStored(record), counter: 9, lastUsedAt: T0 + DAY, backedUp: true });
        // Stale: another use moved the counter on from 5.
        expect(
          await credentials.recordUse(record.credentialId, {
            expectedCounter: 5,
            counter: 10,
            at: T0 + 2 * DAY,
            backedUp: false,
          }),
        ).toBe(false);
        expect(await credentials.get(record.credentialId)).toEqual(used);
        expect(
          await credentials.recordUse(record.credentialId, {
            expectedCounter: 9,
            counter: 4_294_967_295,
            at: T0 + 3 * DAY,
            backedUp: false,
          }),
        ).toBe(true);
        expect(await credentials.get(record.credentialId)).toMatchObject({
          counter: 4_294_967_295,
          lastUsedAt: T0 + 3 * DAY,
          backedUp: false,
        });
        expect(
          await credentials.recordUse(randomBytes(32).toString('base64url'), {
            expectedCounter: 0,
            counter: 1,
            at: T0,
            backedUp: false,
          }),
        ).toBe(false);
      });

      it('records every use of an authenticator whose counter stays 0', async () => {
        const user = await newUser();
        const record = credential(user.userHandle, { counter: 0 });
        await credentials.create(record);
        for (const day of [1, 2]) {
          expect(
            await credentials.recordUse(record.credentialId, {
              expectedCounter: 0,
              counter: 0,
              at: T0 + day * DAY,
              backedUp: true,
            }),
          ).toBe(true);
        }
        expect(await credentials.get(record.credentialId)).toMatchObject({ counter: 0, lastUsedAt: T0 + 2 * DAY });
      });

      it('applies exactly one of 20 concurrent uses read at the same counter', async () => {
        const user = await newUser();
        const record = credential(user.userHandle, { counter: 100 });
        await credentials.create(record);
        const uses = Array.from({ length: 20 }, (_, i) => ({
          expectedCounter: 100,
          counter: 101 + i,
          at: T0 + DAY + i,
          backedUp: i % 2 === 0,
        }));
        const outcomes = await Promise.all(uses.map((use) => credentials.recordUse(record.credentialId, use)));
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        const winner = uses[outcomes.indexOf(true)]!;
        expect(await credentials.get(record.credentialId)).toMatchObject({
          counter: winner.counter,
          lastUsedAt: winner.at,
          backedUp: winner.backedUp,
        });
      });

      it('flags a credential possibly cloned, keeping the first time, and nothing else changes', async () => {
        const user = await newUser();
        const record = credential(user.userHandle, { counter: 12 });
        await credentials.create(record);
        expect(await credentials.flagPossiblyCloned(record.credentialId, T0 + DAY)).toBe(true);
        expect(await credentials.get(record.credentialId)).toEqual({ ...asStored(record), possiblyClonedAt: T0 + DAY });
        expect(await credentials.flagPossiblyCloned(record.credentialId, T0 + 2 * DAY)).toBe(true);
        expect(await credentials.get(record.credentialId)).toMatchObject({ possiblyClonedAt: T0 + DAY, counter: 12 });
        expect(await credentials.flagPossiblyCloned(randomBytes(32).toString('base64url'), T0)).toBe(false);
      });

      it('deletes a credential once; its id may then register again', async () => {
        const user = await newUser();
        const [kept, deleted] = [credential(user.userHandle), credential(user.userHandle)];
        await credentials.create(kept);
        await credentials.create(deleted);
        expect(await credentials.delete(deleted.credentialId)).toBe(true);
        expect(await credentials.delete(deleted.credentialId)).toBe(false);
        expect(await credentials.get(deleted.credentialId)).toBeUndefined();
        expect(await credentials.listByUser(user.userHandle)).toEqual([asStored(kept)]);
        expect(
          await credentials.recordUse(deleted.credentialId, {
            expectedCounter: 0,
            counter: 1,
            at: T0,
            backedUp: false,
          }),
        ).toBe(false);
        await credentials.create(deleted);
        expect(await credentials.get(deleted.credentialId)).toEqual(asStored(deleted));
      });
    });
  });
}
