import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../clock.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { AndroidDeviceSimulator } from '../../simulator/android/device.js';
import { androidVerifier } from '../../../test/helpers/android.js';
import { asyncRejection } from '../../../test/helpers/outcome.js';
import { readVector, vectorPath } from '../../../test/helpers/vectors.js';
import { FetchedStatusList, StatusList, type Fetcher } from './revocation.js';

const AT = Date.UTC(2026, 10, 20);
const sample = () => new StatusList(JSON.parse(readVector('android/revocation-status-sample.json')), 'sample');
const challenge = Buffer.from('revocation');

/** A simulated chain whose intermediates carry `serials` (top first). */
const chainWithSerials = async (serials: string[]) => {
  const device = await AndroidDeviceSimulator.create({ root: 'generated', at: AT, intermediateSerials: serials });
  return { device, attestation: await device.attest({ challenge }, { at: AT }) };
};
let revokedChain: ReturnType<typeof chainWithSerials> | undefined;
/** One chain with the sample list's revoked intermediate (5cb838f1fe157a85), shared by the tests that need it. */
const withRevokedIntermediate = () => (revokedChain ??= chainWithSerials(['5cb838f1fe157a85']));

describe('the attestation status list', () => {
  it('indexes the sample’s decimal keys as hex serials and its hex keys as they are', () => {
    const list = sample();
    expect(list.lookup('5cb838f1fe157a85')).toEqual({ status: 'REVOKED', reason: 'KEY_COMPROMISE' }); // 6681152659205225093
    expect(list.lookup('9c0c2b97fbc3c45f')?.status).toBe('REVOKED'); // 11244410301401252959
    expect(list.lookup('cc66e9a93713b6e643b26c15879786f7')).toMatchObject({
      status: 'SUSPENDED',
      comment: 'Entry for testing only',
    });
    expect(list.lookup('1')).toBeUndefined();
  });

  it('refuses a document that is not a status list', () => {
    expect(() => new StatusList({ revoked: [] }, 'x')).toThrow(/not an attestation status list/);
  });
});

describe('revocation during verification (simulated chains carrying listed serials)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-revocation-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects a chain with a revoked intermediate (TRUST, naming the certificate) and one with a suspended one', async () => {
    const revoked = await withRevokedIntermediate();
    const verifier = androidVerifier(
      { revocation: { enabled: true, file: vectorPath('android/revocation-status-sample.json') } },
      TrustAnchors.fromPem(revoked.device.rootPem, 'test'),
    );
    const error = await asyncRejection(() => verifier.verify({ chain: revoked.attestation.chain, challenge, at: AT }));
    expect(error).toMatchObject({ category: 'TRUST', code: 'CERTIFICATE_REVOKED' });
    expect(error.message).toBe('The intermediate 2 certificate (serial 5cb838f1fe157a85) is revoked (KEY_COMPROMISE).');

    const suspended = await chainWithSerials(['0a', 'cc66e9a93713b6e643b26c15879786f7']);
    const verifier2 = androidVerifier(
      { revocation: { enabled: true, file: vectorPath('android/revocation-status-sample.json') } },
      TrustAnchors.fromPem(suspended.device.rootPem, 'test'),
    );
    await expect(verifier2.verify({ chain: suspended.attestation.chain, challenge, at: AT })).rejects.toMatchObject({
      category: 'TRUST',
      code: 'CERTIFICATE_SUSPENDED',
    });
  });

  it('accepts the same chain shape when nothing in it is listed', async () => {
    const clean = await chainWithSerials(['0b']);
    const file = join(dir, 'status.json');
    writeFileSync(file, readVector('android/revocation-status-sample.json'));
    const verifier = androidVerifier(
      { revocation: { enabled: true, file } },
      TrustAnchors.fromPem(clean.device.rootPem, 'test'),
    );
    expect((await verifier.verify({ chain: clean.attestation.chain, challenge, at: AT })).platform).toBe('android');
  });
});

describe('fetching the status list', () => {
  const body = readVector('android/revocation-status-sample.json');

  function fetcher(
    responses: (() => Promise<{ status: number; body: string; cacheControl: string | null }>)[],
  ): Fetcher & { calls: number } {
    const fn = Object.assign(
      async () => {
        fn.calls += 1;
        return responses[Math.min(fn.calls - 1, responses.length - 1)]!();
      },
      { calls: 0 },
    );
    return fn satisfies Fetcher;
  }

  it('caches per Cache-Control max-age, then refreshes', async () => {
    const clock = new FixedClock(AT);
    const fetch = fetcher([async () => ({ status: 200, body, cacheControl: 'public, max-age=600' })]);
    const source = new FetchedStatusList({
      url: 'https://status.test',
      fetcher: fetch,
      clock,
      fallbackTtlMs: 3_600_000,
      timeoutMs: 1000,
    });
    await Promise.all([source.current(), source.current(), source.current()]);
    expect(fetch.calls).toBe(1);
    clock.advance(599_000);
    await source.current();
    expect(fetch.calls).toBe(1);
    clock.advance(2000);
    await source.current();
    expect(fetch.calls).toBe(2);
  });

  it('uses the fallback TTL without Cache-Control, keeps the last good list when a refresh fails, and fails closed with none', async () => {
    const clock = new FixedClock(AT);
    const errors: unknown[] = [];
    const fetch = fetcher([
      async () => ({ status: 200, body, cacheControl: null }),
      async () => {
        throw new Error('network down');
      },
      async () => ({ status: 503, body: '', cacheControl: null }),
    ]);
    const source = new FetchedStatusList({
      url: 'https://status.test',
      fetcher: fetch,
      clock,
      fallbackTtlMs: 120_000,
      timeoutMs: 1000,
      onRefreshError: (e) => errors.push(e),
    });
    expect(source.state()).toEqual({ source: 'https://status.test' });
    const first = await source.current();
    expect(source.state()).toEqual({
      source: 'https://status.test',
      entries: first.size,
      fetchedAt: AT,
      freshUntil: AT + 120_000,
    });
    clock.advance(119_000);
    await source.current();
    expect(fetch.calls).toBe(1);
    clock.advance(2000);
    expect(await source.current()).toBe(first);
    expect(errors).toHaveLength(1);
    expect(fetch.calls).toBe(2);
    // The failure is reported beside the list still held, until a refresh succeeds.
    expect(source.state()).toMatchObject({ entries: first.size, fetchedAt: AT, lastError: 'network down' });

    const empty = new FetchedStatusList({
      url: 'https://status.test',
      fetcher: fetcher([async () => ({ status: 500, body: '', cacheControl: null })]),
      clock,
      fallbackTtlMs: 120_000,
      timeoutMs: 1000,
    });
    await expect(empty.current()).rejects.toMatchObject({
      category: 'INTERNAL',
      code: 'REVOCATION_LIST_UNAVAILABLE',
      status: 503,
    });
  });

  it('is what the configured verifier uses when revocation is enabled without a file (injected fetcher, no network)', async () => {
    const { device, attestation } = await withRevokedIntermediate();
    const fetch = fetcher([async () => ({ status: 200, body, cacheControl: 'max-age=60' })]);
    const verifier = androidVerifier({ revocation: { enabled: true } }, TrustAnchors.fromPem(device.rootPem, 'test'), {
      fetcher: fetch,
      now: () => AT,
    });
    await expect(verifier.verify({ chain: attestation.chain, challenge, at: AT })).rejects.toMatchObject({
      code: 'CERTIFICATE_REVOKED',
    });
    expect(fetch.calls).toBe(1);
  });
});
