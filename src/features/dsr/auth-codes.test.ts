import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChallengeService } from '../../challenges/challenge-service.js';
import { FixedClock } from '../../clock.js';
import { loadConfig } from '../../config/load.js';
import { MacKeyRing, parseMacKeyFile, generateMacKeyFile } from '../../keys/mac-keys.js';
import { sqliteBackend, type TestBackend } from '../../../test/helpers/backends.js';
import { asyncOutcome } from '../../../test/helpers/outcome.js';
import { AUTH_CODE_PURPOSE, DsrAuthCodes } from './auth-codes.js';
import { s256Challenge } from './pkce.js';

const T0 = Date.UTC(2026, 2, 1);
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = s256Challenge(VERIFIER);
const OTHER_VERIFIER = 'x'.repeat(64);
const pending = { sub: 'c3Vi', type: 'IOS', userIdentifier: 'X110411675', deviceHealth: { assertion: { counter: 2 } } };

describe('DSR authorization codes (SQLite challenge store)', () => {
  let backend: TestBackend;
  const clock = new FixedClock(T0);
  const config = loadConfig({ env: {}, flags: {} }).config.challenges;
  const oldKeys = parseMacKeyFile(generateMacKeyFile(T0 - 86_400_000), 'old');
  const newKeys = parseMacKeyFile(generateMacKeyFile(T0), 'new');
  let challenges: ChallengeService;
  let codes: DsrAuthCodes<typeof pending>;

  beforeAll(async () => {
    backend = await sqliteBackend();
    challenges = new ChallengeService(backend.store.challenges, clock, config);
    codes = new DsrAuthCodes(challenges, new MacKeyRing([oldKeys.current, newKeys.current]), { ttlSeconds: 60 });
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  it('gives the pending token once, for the right verifier', async () => {
    const { code, expiresAt } = await codes.issue(CHALLENGE, pending);
    expect(expiresAt).toBe(T0 + 60_000);
    expect(code).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+$/);
    // Nothing of the pending token shows in the code.
    expect(Buffer.from(code.split('.')[2]!, 'base64url').toString('latin1')).not.toContain('X110411675');
    expect(await asyncOutcome(codes.redeem(code, OTHER_VERIFIER))).toBe('TRUST DSR_PKCE_MISMATCH');
    expect(await codes.redeem(code, VERIFIER)).toEqual(pending);
    expect(await asyncOutcome(codes.redeem(code, VERIFIER))).toBe('TRUST DSR_AUTH_CODE_USED');
  });

  it('is single use under concurrent redemption', async () => {
    const { code } = await codes.issue(CHALLENGE, pending);
    const results = await Promise.all(Array.from({ length: 8 }, () => asyncOutcome(codes.redeem(code, VERIFIER))));
    expect(results.filter((result) => result === 'accepted')).toHaveLength(1);
    expect(results.filter((result) => result === 'TRUST DSR_AUTH_CODE_USED')).toHaveLength(7);
  });

  it('expires', async () => {
    const { code } = await codes.issue(CHALLENGE, pending);
    clock.advance(60_000);
    try {
      expect(await asyncOutcome(codes.redeem(code, VERIFIER))).toBe('TIME DSR_AUTH_CODE_EXPIRED');
    } finally {
      clock.set(T0);
    }
  });

  it('refuses a malformed verifier, and a challenge that is no SHA-256 (a plain verifier)', async () => {
    await expect(asyncOutcome(codes.issue(`${VERIFIER.slice(0, -1)}j`, pending))).resolves.toBe(
      'CONTENT DSR_PKCE_INVALID',
    );
    const { code } = await codes.issue(CHALLENGE, pending);
    expect(await asyncOutcome(codes.redeem(code, 'short'))).toBe('CONTENT DSR_PKCE_INVALID');
    expect(await codes.redeem(code, VERIFIER)).toEqual(pending);
  });

  it('refuses codes it did not issue: tampered, spliced, unknown key, unknown nonce, wrong purpose', async () => {
    const first = (await codes.issue(CHALLENGE, pending)).code.split('.');
    const second = (await codes.issue(CHALLENGE, pending)).code.split('.');
    const flipped = Buffer.from(first[2]!, 'base64url');
    flipped[20]! ^= 1;
    const candidates = [
      'garbage',
      `${first[0]}.${first[1]}.${flipped.toString('base64url')}`,
      // The sealed token of one code with the nonce of another.
      `${first[0]}.${second[1]}.${first[2]}`,
      `${Buffer.from('no-such-kid').toString('base64url')}.${first[1]}.${first[2]}`,
      `${first[0]}.${first[1]}=.${first[2]}`,
    ];
    for (const candidate of candidates)
      expect(await asyncOutcome(codes.redeem(candidate, VERIFIER))).toBe('CONTENT DSR_AUTH_CODE_INVALID');
    // A code whose nonce row is gone (or never existed), sealed by this service.
    const otherStore = await sqliteBackend();
    try {
      const elsewhere = new DsrAuthCodes(
        new ChallengeService(otherStore.store.challenges, clock, config),
        new MacKeyRing([newKeys.current]),
      );
      const foreign = await elsewhere.issue(CHALLENGE, pending);
      expect(await asyncOutcome(codes.redeem(foreign.code, VERIFIER))).toBe('CONTENT DSR_AUTH_CODE_INVALID');
    } finally {
      await otherStore.cleanup();
    }
    // A nonce of another purpose (a DSR nonce, say) cannot pass for a code.
    const nonce = await challenges.issue('dsr', { bytes: 32, subject: CHALLENGE });
    expect(await challenges.check(AUTH_CODE_PURPOSE, nonce.value, CHALLENGE).catch((error) => error.code)).toBe(
      'CHALLENGE_UNKNOWN',
    );
  });

  it('redeems codes sealed with an older key of the ring', async () => {
    const before = new DsrAuthCodes(challenges, new MacKeyRing([oldKeys.current]));
    const { code } = await before.issue(CHALLENGE, pending);
    expect(await codes.redeem(code, VERIFIER)).toEqual(pending);
  });
});
