import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEPT_METADATA_BLOBS, type MetadataBlobStore, type StoredMetadataBlob } from '../webauthn-store.js';

export interface MetadataBlobStoreHarness {
  store: MetadataBlobStore;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-01T00:00:00Z');

/** A JWS-shaped string of about `bytes` characters (header.payload.signature, base64url). */
function jwt(bytes = 600): string {
  const part = (length: number) =>
    randomBytes(Math.ceil((length * 3) / 4))
      .toString('base64url')
      .slice(0, length);
  return `${part(40)}.${part(bytes - 2 * 40 - 2)}.${part(40)}`;
}

const blob = (no: number, overrides: Partial<StoredMetadataBlob> = {}): StoredMetadataBlob => ({
  no,
  source: 'https://mds3.fidoalliance.org/',
  nextUpdate: '2026-12-01',
  jwt: jwt(),
  entries: 120,
  verifiedAt: T0 + no,
  storedAt: T0 + no + 1,
  ...overrides,
});

const summary = ({ jwt: _, ...rest }: StoredMetadataBlob) => rest;

/** The behaviour every MetadataBlobStore must have; run once per backend, each test on an empty store. */
export function describeMetadataBlobStoreContract(
  name: string,
  open: () => Promise<MetadataBlobStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`MetadataBlobStore contract: ${name}`, () => {
    let harness: MetadataBlobStoreHarness;
    let store: MetadataBlobStore;
    beforeEach(async () => {
      harness = await open();
      store = harness.store;
    });
    afterEach(async () => {
      await harness?.cleanup();
    });

    it('holds nothing at first', async () => {
      expect(await store.latest()).toBeUndefined();
      expect(await store.history()).toEqual([]);
    });

    it('saves a BLOB only when its no is above every stored one, and the latest is the highest', async () => {
      const nine = blob(9, { source: '/etc/keyward/mds/blob.jwt' });
      expect(await store.save(nine)).toBe(true);
      expect(await store.latest()).toEqual(nine);
      for (const refused of [blob(9), blob(8), blob(1)]) expect(await store.save(refused)).toBe(false);
      expect(await store.latest()).toEqual(nine);
      expect(await store.history()).toEqual([summary(nine)]);
      const ten = blob(10, { nextUpdate: '2027-01-01', entries: 0 });
      expect(await store.save(ten)).toBe(true);
      expect(await store.latest()).toEqual(ten);
      expect(await store.save(blob(9))).toBe(false);
      const latest = await store.latest();
      expect(typeof latest!.no).toBe('number');
      expect(typeof latest!.verifiedAt).toBe('number');
      expect(typeof latest!.entries).toBe('number');
    });

    it(`keeps the newest ${KEPT_METADATA_BLOBS} BLOBs, removing older ones as newer are saved`, async () => {
      const saved = [3, 4, 7, 20, 21].map((no) => blob(no));
      for (const [index, entry] of saved.entries()) {
        expect(await store.save(entry)).toBe(true);
        expect(await store.history()).toEqual(
          saved
            .slice(Math.max(0, index + 1 - KEPT_METADATA_BLOBS), index + 1)
            .reverse()
            .map(summary),
        );
      }
      // A refused save removes nothing.
      expect(await store.save(blob(5))).toBe(false);
      expect((await store.history()).map((entry) => entry.no)).toEqual([21, 20, 7]);
      expect(await store.latest()).toEqual(saved[4]);
    });

    it('keeps numbers beyond 32 bits exactly', async () => {
      const large = blob(2 ** 40 + 1);
      expect(await store.save(large)).toBe(true);
      expect(await store.latest()).toEqual(large);
      expect(await store.save(blob(2 ** 40))).toBe(false);
    });

    it('saves exactly one of 20 concurrent BLOBs with one no', async () => {
      const contenders = Array.from({ length: 20 }, () => blob(42));
      const outcomes = await Promise.all(contenders.map((entry) => store.save(entry)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect(await store.latest()).toEqual(contenders[outcomes.indexOf(true)]);
      expect(await store.history()).toHaveLength(1);
    });

    it('under 20 concurrent saves of different nos, each accepted BLOB was the highest when saved', async () => {
      const nos = [7, 19, 3, 12, 1, 16, 5, 20, 9, 14, 2, 18, 11, 6, 15, 4, 13, 10, 17, 8];
      const contenders = nos.map((no) => blob(no));
      const outcomes = await Promise.all(contenders.map((entry) => store.save(entry)));
      const accepted = nos.filter((_, index) => outcomes[index]).sort((a, b) => b - a);
      expect(accepted[0]).toBe(20);
      expect(await store.latest()).toEqual(contenders[nos.indexOf(20)]);
      // The accepted ones were saved in increasing order, so the newest three of them are kept.
      expect((await store.history()).map((entry) => entry.no)).toEqual(accepted.slice(0, KEPT_METADATA_BLOBS));
    });

    it('round-trips a real-size (2 MB) BLOB exactly', async () => {
      const large = blob(1, { jwt: jwt(2 * 1024 * 1024), entries: 8000 });
      expect(await store.save(large)).toBe(true);
      const stored = await store.latest();
      expect(stored!.jwt.length).toBe(large.jwt.length);
      expect(stored!.jwt === large.jwt).toBe(true);
      expect(stored).toEqual(large);
      expect(await store.history()).toEqual([summary(large)]);
    });
  });
}
