import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteBackend, type TestBackend } from '../../../test/helpers/backends.js';
import { jwkThumbprint } from '../../crypto/jose/jwk.js';
import { signBundle, unsignedBundle } from './bundles/bundle.js';
import { defaultBundlePayload } from './defaults.js';
import { PolicyEnforcementPoint } from './pep/pep.js';
import { DsrPolicies, type SourceReader } from './policy-service.js';

const admin = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = jwkThumbprint(createPublicKey(admin.privateKey).export({ format: 'jwk' }));
const BLOCKED = '203.0.113.7';

/** The PEP's headers for a request from `ip` without a device token: the security verdict still decides the IP. */
const fromIp = (ip: string) => ({
  'x-original-uri': '/resource',
  'x-original-method': 'GET',
  'x-real-ip': ip,
  'x-country-code': 'DE',
});

const securityCodes = (policies: DsrPolicies, ip: string) =>
  policies
    .authorize(fromIp(ip), 'lax')
    .decision.verdict?.security.violations.map((violation) => violation.errorCode)
    .sort();

describe('DsrPolicies', () => {
  let backend: TestBackend;
  let now: number;
  const logs: { fields: object; message: string }[] = [];
  const log = {
    info: (fields: object, message: string) => logs.push({ fields, message }),
    warn: (fields: object, message: string) => logs.push({ fields, message }),
  };

  const policiesWith = (read: SourceReader, options: { pip?: Record<string, string>; bundleUrl?: string } = {}) => {
    const defaultBundle = unsignedBundle(defaultBundlePayload(), 'default');
    return new DsrPolicies({
      clock: { now: () => now },
      store: backend.store.dsrBundles,
      adminKeys: new Map([[kid, createPublicKey(admin.privateKey)]]),
      defaultBundle,
      pep: new PolicyEnforcementPoint({
        trust: { keys: new Map() },
        policies: defaultBundle.policies,
        data: defaultBundle.data,
      }),
      read,
      log,
      pollMs: 60_000,
      ...(options.bundleUrl ? { bundleUrl: options.bundleUrl } : {}),
      pip: { sources: options.pip ?? {}, refreshMs: 60_000 },
    });
  };
  const bundleBlocking = (version: number, ip: string) => {
    const payload = defaultBundlePayload();
    const security = { ...payload.data.security_data, blocklistClientIPs: [ip] };
    return signBundle(
      { ...payload, version, data: { ...payload.data, security_data: security } },
      admin.privateKey,
      kid,
    );
  };
  const noSource: SourceReader = async (source) => {
    throw new Error(`unexpected read of ${source}`);
  };

  beforeEach(async () => {
    backend = await sqliteBackend();
    now = Date.parse('2026-12-03T12:00:00Z');
    logs.length = 0;
  });
  afterEach(async () => backend.cleanup());

  it('decides with the shipped default set until a bundle is stored, then with the stored one', async () => {
    const policies = policiesWith(noSource);
    await policies.start();
    expect(policies.state().active).toMatchObject({ version: 0, kid: 'default' });
    const allowedBefore = securityCodes(policies, BLOCKED);
    await policies.push('active', bundleBlocking(1, BLOCKED));
    const blocked = securityCodes(policies, BLOCKED);
    expect(blocked?.length).toBeGreaterThan(allowedBefore?.length ?? 0);
    expect(policies.state().active).toMatchObject({ version: 1, kid });
    await policies.stop();
  });

  it('reads a bundle another instance stored, and ignores a row planted in the database without a valid signature', async () => {
    const writer = policiesWith(noSource);
    const reader = policiesWith(noSource);
    await reader.start();
    await writer.push('active', bundleBlocking(3, BLOCKED));
    await reader.poll();
    expect(reader.state().active.version).toBe(3);

    const forged = bundleBlocking(4, '198.51.100.1').replace(/\.[^.]+$/, '.AAAA');
    expect(await backend.store.dsrBundles.put({ slot: 'active', version: 4, kid, jws: forged, storedAt: now })).toBe(
      true,
    );
    await reader.poll();
    expect(reader.state().active.version).toBe(3);
    expect(logs.some((entry) => entry.message.includes('does not verify'))).toBe(true);
    await reader.stop();
  });

  it('applies a PIP list over the bundle and keeps its last entries when the source fails', async () => {
    let list: string | Error = `# blocked\n${BLOCKED}\n`;
    const read: SourceReader = async () => {
      if (list instanceof Error) throw list;
      return { text: list };
    };
    const policies = policiesWith(read, { pip: { blockedIps: '/pip/blocked.txt' } });
    const withoutList = policiesWith(noSource);
    await Promise.all([policies.start(), withoutList.start()]);
    const listed = securityCodes(policies, BLOCKED);
    expect(listed).not.toEqual(securityCodes(withoutList, BLOCKED));
    expect(policies.state().pip.blockedIps).toMatchObject({ source: '/pip/blocked.txt', entries: 1 });

    list = new Error('connection refused');
    await policies.refreshPip();
    expect(securityCodes(policies, BLOCKED)).toEqual(listed);
    expect(policies.state().pip.blockedIps).toMatchObject({ error: 'connection refused' });
    await Promise.all([policies.stop(), withoutList.stop()]);
  });

  it('polls the bundle URL with its ETag and takes a newer bundle from it', async () => {
    const seen: (string | undefined)[] = [];
    let version = 5;
    let served = bundleBlocking(version, BLOCKED);
    const read: SourceReader = async (_source, etag) => {
      seen.push(etag);
      if (etag === `"v${version}"`) return { notModified: true };
      return { text: served, etag: `"v${version}"` };
    };
    const policies = policiesWith(read, { bundleUrl: 'https://pap.example/bundle.jws' });
    await policies.start();
    expect(policies.state().active.version).toBe(5);
    await policies.poll();
    expect(seen).toEqual([undefined, '"v5"']);
    version = 6;
    served = bundleBlocking(version, BLOCKED);
    await policies.poll();
    expect(policies.state().active.version).toBe(6);
    await policies.stop();
  });

  it('keeps reading the stored bundles while the bundle URL fails', async () => {
    const read: SourceReader = async () => {
      throw new Error('connection refused');
    };
    const writer = policiesWith(noSource);
    const reader = policiesWith(read, { bundleUrl: 'https://pap.example/bundle.jws' });
    await reader.start();
    await writer.push('active', bundleBlocking(7, BLOCKED));
    await reader.poll();
    expect(reader.state().active.version).toBe(7);
    expect(logs.some((entry) => entry.message.includes('polling dsr.bundles.url failed'))).toBe(true);

    await reader.stop();
  });
});
