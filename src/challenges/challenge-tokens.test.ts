import { createHmac } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../clock.js';
import { loadConfig } from '../config/load.js';
import { MacKeyRing, generateMacKeyFile, parseMacKeyFile } from '../keys/mac-keys.js';
import { sqliteBackend, type TestBackend } from '../../test/helpers/backends.js';
import { asyncOutcome } from '../../test/helpers/outcome.js';
import { ChallengeService } from './challenge-service.js';
import { ChallengeTokens } from './challenge-tokens.js';

const T0 = Date.UTC(2026, 4, 1, 12);
const options = { typ: 'auth-challenge+jwt', issuer: 'https://keyward.test', ttlSeconds: 300 };

/** Checks the token and spends its nonce; returns the nonce. */
async function consume(tokens: ChallengeTokens, token: string): Promise<Buffer> {
  const checked = await tokens.check(token);
  await checked.consume();
  return checked.nonce;
}

describe('ChallengeTokens', () => {
  let backend: TestBackend;
  let challenges: ChallengeService;
  const clock = new FixedClock(T0);
  const oldKeys = parseMacKeyFile(generateMacKeyFile(T0 - 86_400_000), 'old');
  const newKeys = parseMacKeyFile(generateMacKeyFile(T0), 'new');
  const rotated = new MacKeyRing([oldKeys.current, newKeys.current]);

  beforeAll(async () => {
    backend = await sqliteBackend();
    challenges = new ChallengeService(backend.store.challenges, clock, loadConfig({ env: {} }).config.challenges);
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  it('issues an HS256 JWT with typ, kid of the newest key, iss, iat and a nonce, accepted once', async () => {
    const tokens = new ChallengeTokens(challenges, rotated, clock, 'mdvm', options);
    const issued = await tokens.issue();
    expect(decodeProtectedHeader(issued.token)).toEqual({
      alg: 'HS256',
      typ: 'auth-challenge+jwt',
      kid: newKeys.current.kid,
    });
    const claims = decodeJwt(issued.token);
    expect(claims).toEqual({ iss: 'https://keyward.test', iat: T0 / 1000, nonce: issued.nonce.toString('base64url') });
    expect(issued.expiresAt).toBe(T0 + 300_000);
    clock.advance(1000);
    expect((await consume(tokens, issued.token)).equals(issued.nonce)).toBe(true);
    expect(await asyncOutcome(tokens.check(issued.token))).toBe('TRUST CHALLENGE_USED');
  });

  it('writes the nonce as a random version-4 UUID when asked (MDVM), still accepted once', async () => {
    const tokens = new ChallengeTokens(challenges, rotated, clock, 'mdvm', { ...options, nonceFormat: 'uuid' });
    const issued = await tokens.issue();
    const { nonce } = decodeJwt(issued.token) as { nonce: string };
    expect(nonce).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nonce.replaceAll('-', '')).toBe(issued.nonce.toString('hex'));
    expect((await consume(tokens, issued.token)).equals(issued.nonce)).toBe(true);
    expect(await asyncOutcome(tokens.check(issued.token))).toBe('TRUST CHALLENGE_USED');
    const other = await tokens.issue();
    expect((decodeJwt(other.token) as { nonce: string }).nonce).not.toBe(nonce);
  });

  it('checks without spending the nonce: checked twice, consumed once, then refused', async () => {
    const tokens = new ChallengeTokens(challenges, rotated, clock, 'mdvm', options);
    const issued = await tokens.issue();
    const first = await tokens.check(issued.token);
    const second = await tokens.check(issued.token);
    expect(second.nonce.equals(first.nonce)).toBe(true);
    await first.consume();
    expect(await asyncOutcome(second.consume())).toBe('TRUST CHALLENGE_USED');
    expect(await asyncOutcome(tokens.check(issued.token))).toBe('TRUST CHALLENGE_USED');
  });

  it('keeps accepting tokens signed with an older key after rotation', async () => {
    const before = new ChallengeTokens(challenges, oldKeys, clock, 'mdvm', options);
    const after = new ChallengeTokens(challenges, rotated, clock, 'mdvm', options);
    const issued = await before.issue();
    expect(await consume(after, issued.token)).toHaveLength(32);
  });

  it('rejects tampered, foreign, expired, mistyped and malformed tokens with distinct codes', async () => {
    const tokens = new ChallengeTokens(challenges, rotated, clock, 'mdvm', options);
    const issued = await tokens.issue();
    const [header, payload, signature] = issued.token.split('.');
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await asyncOutcome(tokens.check(`${header}.${payload}.${flipped}`))).toBe('TRUST CHALLENGE_TOKEN_INVALID');

    const foreign = new ChallengeTokens(
      challenges,
      parseMacKeyFile(generateMacKeyFile(T0), 'x'),
      clock,
      'mdvm',
      options,
    );
    expect(await asyncOutcome(tokens.check((await foreign.issue()).token))).toBe('TRUST CHALLENGE_TOKEN_INVALID');

    const wrongTyp = await new SignJWT({ nonce: issued.nonce.toString('base64url') })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: newKeys.current.kid })
      .setIssuer(options.issuer)
      .setIssuedAt(T0 / 1000)
      .sign(newKeys.current.secret);
    expect(await asyncOutcome(tokens.check(wrongTyp))).toBe('TRUST CHALLENGE_TOKEN_INVALID');

    expect(await asyncOutcome(tokens.check('not.a.jwt'))).toBe('CONTENT CHALLENGE_TOKEN_MALFORMED');

    const stale = await tokens.issue();
    clock.advance(301_000);
    expect(await asyncOutcome(tokens.check(stale.token))).toBe('TIME CHALLENGE_EXPIRED');
  });
});

describe('ChallengeTokens with duplicate members', () => {
  let backend: TestBackend;
  let challenges: ChallengeService;
  const clock = new FixedClock(T0);
  const keys = parseMacKeyFile(generateMacKeyFile(T0), 'dup');
  const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  /** A correctly MACed token over exactly these header and payload texts. */
  const forged = (header: string, payload: string) => {
    const signingInput = `${b64url(header)}.${b64url(payload)}`;
    return `${signingInput}.${createHmac('sha256', keys.current.secret).update(signingInput).digest('base64url')}`;
  };

  beforeAll(async () => {
    backend = await sqliteBackend();
    challenges = new ChallengeService(backend.store.challenges, clock, loadConfig({ env: {} }).config.challenges);
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  it('refuses a MACed token whose claims or header repeat a member, as malformed', async () => {
    const tokens = new ChallengeTokens(challenges, keys, clock, 'mdvm', options);
    const issued = await tokens.issue();
    const nonce = issued.nonce.toString('base64url');
    const other = (await tokens.issue()).nonce.toString('base64url');
    const header = JSON.stringify({ alg: 'HS256', typ: options.typ, kid: keys.current.kid });
    const claims = `{"iss":"${options.issuer}","iat":${T0 / 1000},"nonce":"${nonce}"`;
    expect((await tokens.check(forged(header, `${claims}}`))).nonce.equals(issued.nonce)).toBe(true);
    expect(await asyncOutcome(tokens.check(forged(header, `${claims},"nonce":"${other}"}`)))).toBe(
      'CONTENT CHALLENGE_TOKEN_MALFORMED',
    );
    expect(await asyncOutcome(tokens.check(forged(header, `${claims},"\\u006eonce":"${other}"}`)))).toBe(
      'CONTENT CHALLENGE_TOKEN_MALFORMED',
    );
    expect(await asyncOutcome(tokens.check(forged(`${header.slice(0, -1)},"kid":"another"}`, `${claims}}`)))).toBe(
      'CONTENT CHALLENGE_TOKEN_MALFORMED',
    );
  });
});
