import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../clock.js';
import { loadConfig } from '../config/load.js';
import type { KeywardError } from '../errors.js';
import { sqliteBackend, type TestBackend } from '../../test/helpers/backends.js';
import { asyncRejection } from '../../test/helpers/outcome.js';
import { ChallengeService, type ChallengeMetrics } from './challenge-service.js';

const T0 = Date.UTC(2026, 2, 1);

describe('ChallengeService', () => {
  let backend: TestBackend;
  const clock = new FixedClock(T0);
  const counted: string[] = [];
  const metrics: ChallengeMetrics = {
    issued: (purpose) => counted.push(`issued ${purpose}`),
    consumed: (purpose) => counted.push(`consumed ${purpose}`),
    rejected: (purpose, code) => counted.push(`rejected ${purpose} ${code}`),
  };
  const config = loadConfig({
    env: {},
    flags: {
      challenges: {
        purposes: { default: {}, login: { bytes: 64, ttlSeconds: 30 } },
        ttlSeconds: 120,
        retentionSeconds: 600,
      },
    },
  }).config.challenges;
  let service: ChallengeService;

  beforeAll(async () => {
    backend = await sqliteBackend();
    service = new ChallengeService(backend.store.challenges, clock, config, metrics);
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  const fields = ({ category, code, status }: KeywardError) => ({ category, code, status });

  it('uses the global size and lifetime, or the purpose’s own, or the caller’s', async () => {
    const plain = await service.issue('default');
    expect(plain.value).toHaveLength(32);
    expect(plain.expiresAt - plain.issuedAt).toBe(120_000);
    const login = await service.issue('login');
    expect(login.value).toHaveLength(64);
    expect(login.expiresAt - login.issuedAt).toBe(30_000);
    const warden = await service.issue('warden:attest', { bytes: 128, ttlSeconds: 600 });
    expect(warden.value).toHaveLength(128);
    expect(warden.expiresAt).toBe(T0 + 600_000);
    expect(plain.value.equals(login.value.subarray(0, 32))).toBe(false);
  });

  it('refuses sizes beyond 128 bytes as a programming error', async () => {
    await expect(service.issue('default', { bytes: 129 })).rejects.toThrow(TypeError);
  });

  it('knows only configured purposes as public', () => {
    expect(() => service.assertPublicPurpose('login')).not.toThrow();
    expect(() => service.assertPublicPurpose('warden:attest')).toThrow(/Unknown challenge purpose/);
    expect(() => service.assertPublicPurpose('__proto__')).toThrow(/Unknown challenge purpose/);
    for (const purpose of ['warden', 'mdvm', 'fido2', 'dsr', 'provisioning']) {
      const configured = new ChallengeService(backend.store.challenges, clock, {
        ...config,
        purposes: { [purpose]: {} },
      });
      expect(() => configured.assertPublicPurpose(purpose)).toThrow(/Unknown challenge purpose/);
    }
  });

  it('maps each rejection to its own code, category and status', async () => {
    const bound = await service.issue('default', { subject: 'alice' });
    expect(fields(await asyncRejection(() => service.consume('default', bound.value, 'bob')))).toEqual({
      category: 'TRUST',
      code: 'CHALLENGE_SUBJECT_MISMATCH',
      status: 403,
    });
    expect(fields(await asyncRejection(() => service.consume('login', bound.value, 'alice')))).toEqual({
      category: 'CONTENT',
      code: 'CHALLENGE_UNKNOWN',
      status: 400,
    });
    expect(fields(await asyncRejection(() => service.consume('default', Buffer.alloc(2), 'alice')))).toEqual({
      category: 'CONTENT',
      code: 'CHALLENGE_UNKNOWN',
      status: 400,
    });
    expect((await service.consume('default', bound.value, 'alice')).subject).toBe('alice');
    expect(fields(await asyncRejection(() => service.consume('default', bound.value, 'alice')))).toEqual({
      category: 'TRUST',
      code: 'CHALLENGE_USED',
      status: 403,
    });

    const short = await service.issue('login');
    clock.advance(30_000);
    expect(fields(await asyncRejection(() => service.consume('login', short.value)))).toEqual({
      category: 'TIME',
      code: 'CHALLENGE_EXPIRED',
      status: 400,
    });
    expect(counted).toContain('rejected login CHALLENGE_EXPIRED');
    expect(counted).toContain('consumed default');
  });

  it('checks with the same errors as consume, without consuming, counting only rejections', async () => {
    const bound = await service.issue('default', { subject: 'carol' });
    counted.length = 0;
    expect(fields(await asyncRejection(() => service.check('default', bound.value, 'dave')))).toEqual({
      category: 'TRUST',
      code: 'CHALLENGE_SUBJECT_MISMATCH',
      status: 403,
    });
    expect(fields(await asyncRejection(() => service.check('login', bound.value, 'carol')))).toEqual({
      category: 'CONTENT',
      code: 'CHALLENGE_UNKNOWN',
      status: 400,
    });
    expect(fields(await asyncRejection(() => service.check('default', Buffer.alloc(2), 'carol')))).toEqual({
      category: 'CONTENT',
      code: 'CHALLENGE_UNKNOWN',
      status: 400,
    });
    expect(await service.check('default', bound.value, 'carol')).toMatchObject({
      subject: 'carol',
      purpose: 'default',
    });
    expect(await service.check('default', bound.value, 'carol')).toMatchObject({ subject: 'carol' });
    expect(counted).toEqual([
      'rejected default CHALLENGE_SUBJECT_MISMATCH',
      'rejected login CHALLENGE_UNKNOWN',
      'rejected default CHALLENGE_UNKNOWN',
    ]);
    expect((await service.consume('default', bound.value, 'carol')).subject).toBe('carol');
    expect(fields(await asyncRejection(() => service.check('default', bound.value, 'carol')))).toEqual({
      category: 'TRUST',
      code: 'CHALLENGE_USED',
      status: 403,
    });
    expect(counted.slice(3)).toEqual(['consumed default', 'rejected default CHALLENGE_USED']);
  });

  it('purges challenges once their retention has passed, and not before', async () => {
    clock.set(T0 + 10_000_000);
    const issued = await service.issue('default');
    clock.advance(120_000 + 600_000 - 1);
    expect(await service.purgeExpired()).toBeGreaterThanOrEqual(0);
    expect(fields(await asyncRejection(() => service.consume('default', issued.value)))).toMatchObject({
      code: 'CHALLENGE_EXPIRED',
    });
    clock.advance(2);
    expect(await service.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(fields(await asyncRejection(() => service.consume('default', issued.value)))).toMatchObject({
      code: 'CHALLENGE_UNKNOWN',
    });
  });
});
