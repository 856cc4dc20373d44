import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, serve } from '../helpers/cli.js';
import { SIMULATOR_APP_ID } from '../helpers/server.js';
import { androidWallet, operator, OPERATOR_KEY } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-mdvm-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SERVER_ENV = {
  KEYWARD_ANDROID_REVOCATION_ENABLED: 'false',
  KEYWARD_APPLE_APP_IDS: JSON.stringify([SIMULATOR_APP_ID]),
  KEYWARD_APPLE_ENVIRONMENT: 'any',
  KEYWARD_ADMIN_API_KEYS: `["${OPERATOR_KEY}"]`,
};

describe('keyward mdvm keys', () => {
  it('creates a root and a signing key, rotates to a new key and retires the old one', async () => {
    const dir = join(work, 'keys');
    const init = await runCli(['mdvm', 'keys', 'init', '--out', dir]);
    expect(init.code, init.stderr).toBe(0);
    const first = JSON.parse(init.stdout).kid as string;
    expect(statSync(join(dir, 'root.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'signing-keys.json')).mode & 0o777).toBe(0o600);

    const rotated = await runCli(['mdvm', 'keys', 'rotate', '--dir', dir]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const after = JSON.parse(rotated.stdout);
    expect(after.keys).toHaveLength(2);
    expect(after.signing).not.toBe(first);

    // A server on the rotated file signs with the new key and publishes both.
    const cwd = mkdtempSync(join(work, 'serve-'));
    const server = await serve(['--trust-simulator-roots'], {
      cwd,
      env: { ...SERVER_ENV, KEYWARD_MDVM_SIGNING_KEYS_FILE: join(dir, 'signing-keys.json') },
    });
    try {
      const jwks = (await (await fetch(`${server.url}/v1/mdvm/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((key) => key.kid).sort()).toEqual([first, after.signing].sort());
      const wallet = await androidWallet();
      expect((await wallet.register(server.url)).status).toBe(200);
      expect(decodeProtectedHeader(wallet.mdvmToken!).kid).toBe(after.signing);
    } finally {
      expect(await server.stop()).toBe(0);
    }

    const retired = await runCli(['mdvm', 'keys', 'rotate', '--dir', dir, '--retire', first, '--no-add']);
    expect(JSON.parse(retired.stdout).keys.map((key: { kid: string }) => key.kid)).toEqual([after.signing]);
    const unknown = await runCli(['mdvm', 'keys', 'rotate', '--dir', dir, '--retire', first]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`no key ${first}`);
    expect((await runCli(['mdvm', 'keys', 'init', '--out', dir])).code).toBe(2);
  });
});

describe('keyward simulate mdvm and keyward verify mdvm-request', () => {
  it('drives a simulated wallet against a server, and checks its request to a relying backend offline, before and after revocation', async () => {
    const cwd = mkdtempSync(join(work, 'flow-'));
    const server = await serve(['--trust-simulator-roots'], { cwd, env: SERVER_ENV });
    try {
      const simulated = await runCli(['simulate', 'mdvm', '--platform', 'ios', '--url', server.url, '--renewals', '2']);
      expect(simulated.code, simulated.stderr).toBe(0);
      expect(
        JSON.parse(simulated.stdout).map((step: { step: string; status: number }) => `${step.step} ${step.status}`),
      ).toEqual(['register 200', 'renewal 1 200', 'renewal 2 200']);

      const wallet = await androidWallet();
      expect((await wallet.register(server.url)).status).toBe(200);
      const request = wallet.signRelyingRequest({
        method: 'POST',
        path: '/v1/rwsca/sessions',
        challenge: 'backend-challenge-1',
        body: { pin: 'x' },
        label: 'rwsca-auth-sig',
      });
      writeFileSync(
        join(work, 'request.json'),
        JSON.stringify({
          method: 'POST',
          path: '/v1/rwsca/sessions',
          headers: request.headers,
          body: request.body.toString(),
        }),
      );
      writeFileSync(join(work, 'jwks.json'), await (await fetch(`${server.url}/v1/mdvm/jwks.json`)).text());
      const args = [
        'verify',
        'mdvm-request',
        join(work, 'request.json'),
        '--jwks',
        join(work, 'jwks.json'),
        '--issuer',
        'keyward-mdvm',
        '--label',
        'rwsca-auth-sig',
      ];

      const accepted = await runCli([...args, '--challenge', 'backend-challenge-1']);
      expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
      expect(JSON.parse(accepted.stdout)).toMatchObject({
        verified: true,
        mdvm_wi_id: wallet.mdvmWiId,
        tokenFormat: 'reference',
        covered: ['@method', '@path', 'auth-challenge', 'mdvm-token', 'content-digest'],
      });
      expect(JSON.parse((await runCli([...args, '--challenge', 'another'])).stdout)).toMatchObject({
        verified: false,
        code: 'CHALLENGE_MISMATCH',
      });
      const rootPath = join(cwd, 'data', 'keys', 'mdvm', 'root.pem');
      const byRoot = await runCli([
        'verify',
        'mdvm-request',
        join(work, 'request.json'),
        '--root',
        rootPath,
        '--issuer',
        'keyward-mdvm',
        '--label',
        'rwsca-auth-sig',
        '--challenge',
        'backend-challenge-1',
      ]);
      expect(JSON.parse(byRoot.stdout)).toMatchObject({ verified: true });

      expect(
        (await operator(server, 'POST', `/v1/mdvm/accounts/${wallet.mdvmWiId}/revoke`, { reason: 'stolen' })).status,
      ).toBe(200);
      writeFileSync(join(work, 'revocations.jwt'), await (await fetch(`${server.url}/v1/mdvm/revocations`)).text());
      const revoked = await runCli([
        ...args,
        '--challenge',
        'backend-challenge-1',
        '--revocations',
        join(work, 'revocations.jwt'),
      ]);
      expect(revoked.code).toBe(1);
      expect(JSON.parse(revoked.stdout)).toMatchObject({
        verified: false,
        category: 'TRUST',
        code: 'MDVM_INSTANCE_REVOKED',
      });
      expect(readFileSync(join(work, 'revocations.jwt'), 'utf8').split('.')).toHaveLength(3);
      expect(
        (
          await runCli([
            'verify',
            'mdvm-request',
            join(work, 'request.json'),
            '--issuer',
            'x',
            '--label',
            'y',
            '--challenge',
            'z',
          ])
        ).code,
      ).toBe(2);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
