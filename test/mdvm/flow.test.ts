import { randomUUID, X509Certificate } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import { trustError } from '../../src/errors.js';
import { keysFromJwks, type MdvmTrust } from '../../src/features/mdvm/mdvm-token.js';
import { MdvmRevocations, verifyMdvmRequest } from '../../src/features/mdvm/relying-backend.js';
import type { SimulatedWalletInstance, WalletResponse } from '../../src/simulator/mdvm-wallet.js';
import { TEST_DATABASE_URL, skipWithoutPostgres, skipWithoutRedis } from '../helpers/backends.js';
import { decisionsAbout, outcomes } from '../helpers/decisions.js';
import type { TestServer } from '../helpers/server.js';
import { sharedAndroidDevice } from '../helpers/simulators.js';
import { androidWallet, iosWallet, operator, startMdvmServer } from './helpers.js';

const BACKENDS = [
  { name: 'SQLite', database: 'sqlite' as const, redis: false, skip: false },
  {
    name: 'PostgreSQL with Redis challenges',
    database: 'postgres' as const,
    redis: true,
    skip: skipWithoutPostgres || skipWithoutRedis,
  },
];

/** Java's LocalDateTime.toString(): no offset, seconds and fraction only when not zero. */
const REFERENCE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{3})?)?$/;

/** A rejection in the reference MDVM's error body: {code, description, timestamp, trace_id}. */
const rejected = (response: WalletResponse, status: number, code: string) => {
  expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
  expect(Object.keys(response.body).sort()).toEqual(['code', 'description', 'timestamp', 'trace_id']);
  expect(response.body.timestamp).toMatch(REFERENCE_TIMESTAMP);
};

/** A relying backend (a wallet backend) checking requests with the library, with its own single-use challenges. */
class RelyingBackend {
  private readonly issued = new Set<string>();
  readonly revocations: MdvmRevocations;

  constructor(
    readonly trust: MdvmTrust,
    private readonly mdvmUrl: string,
  ) {
    this.revocations = new MdvmRevocations(trust);
  }

  static async of(server: TestServer): Promise<RelyingBackend> {
    const jwks = await (await fetch(`${server.url}/v1/mdvm/jwks.json`)).json();
    return new RelyingBackend({ issuer: 'keyward-mdvm', keys: keysFromJwks(jwks as { keys: unknown }) }, server.url);
  }

  challenge(): string {
    const challenge = randomUUID();
    this.issued.add(challenge);
    return challenge;
  }

  async refreshRevocations(): Promise<void> {
    const since = this.revocations.since;
    const response = await fetch(`${this.mdvmUrl}/v1/mdvm/revocations${since === undefined ? '' : `?since=${since}`}`);
    expect(response.headers.get('content-type')).toContain('application/jwt');
    await this.revocations.apply(await response.text(), Date.now());
  }

  /** A signed request from the wallet, verified as the backend would; the outcome's code or the instance id. */
  async accept(wallet: SimulatedWalletInstance, options: { challenge?: string; label?: string } = {}): Promise<string> {
    const request = wallet.signRelyingRequest({
      method: 'POST',
      path: '/v1/wpb/attestation',
      challenge: options.challenge ?? this.challenge(),
      body: { wi_wia_pubk: 'x' },
      label: 'wpb-auth-sig',
    });
    try {
      const verified = await verifyMdvmRequest(
        { message: { method: 'POST', target: '/v1/wpb/attestation', headers: request.headers }, body: request.body },
        {
          trust: this.trust,
          label: options.label ?? 'wpb-auth-sig',
          revocations: this.revocations,
          now: Date.now(),
          consumeChallenge: (challenge) => {
            if (!this.issued.delete(challenge)) throw trustError('CHALLENGE_UNKNOWN', 'unknown or used challenge');
          },
        },
      );
      return verified.mdvmWiId;
    } catch (error) {
      return `rejected ${(error as { code: string }).code}`;
    }
  }
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`MDVM over HTTP on ${backend.name}`, () => {
    let server: TestServer;
    let relying: RelyingBackend;
    beforeAll(async () => {
      server = await startMdvmServer({ database: backend.database, redis: backend.redis });
      relying = await RelyingBackend.of(server);
    });
    afterAll(async () => {
      await server?.close();
    });

    it('issues single-use HS256 auth challenges with a UUID nonce', async () => {
      const wallet = await androidWallet();
      const challenge = await wallet.challenge(server.url);
      expect(decodeProtectedHeader(challenge)).toMatchObject({
        alg: 'HS256',
        typ: 'auth-challenge+jwt',
        kid: expect.any(String),
      });
      const claims = decodeJwt(challenge);
      expect(claims).toMatchObject({
        iss: 'keyward-mdvm',
        nonce: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      });
      expect((await wallet.register(server.url, { challenge })).status).toBe(200);
      rejected(
        await (await androidWallet()).register(server.url, { challenge }),
        400,
        'CHALLENGE_VERIFICATION_FAILURE',
      );
    });

    it('registers an Android instance, renews it several times, and relying backends accept its requests until it is revoked', async () => {
      const wallet = await androidWallet({ osPatchLevel: 202609 });
      const registered = await wallet.register(server.url);
      expect(registered.status).toBe(200);
      expect(registered.body).toEqual({
        mdvm_wi_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        mdvm_token: expect.any(String),
        mdvm_token_expiration_time: expect.any(Number),
      });
      const header = decodeProtectedHeader(wallet.mdvmToken!);
      expect(header).toMatchObject({ alg: 'ES256', typ: 'mdvm-token+jwt', kid: expect.any(String) });
      const chain = (header.x5c as string[]).map((der) => new X509Certificate(Buffer.from(der, 'base64')));
      expect(chain[0]!.verify(chain[1]!.publicKey)).toBe(true);
      const claims = decodeJwt(wallet.mdvmToken!);
      expect(claims).toMatchObject({
        iss: 'keyward-mdvm',
        mdvm_wi_id: wallet.mdvmWiId,
        cnf: { jwk: { kty: 'EC', crv: 'P-256' } },
      });
      expect(claims.exp! - claims.iat!).toBe(3600);
      expect(registered.body.mdvm_token_expiration_time).toBe(claims.exp);

      for (const patch of [202609, 202610, 202611]) {
        wallet.android.osPatchLevel = patch;
        const renewed = await wallet.renew(server.url);
        expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
        expect(decodeJwt(renewed.body.mdvm_token as string).mdvm_wi_id).toBe(wallet.mdvmWiId);
      }
      const account = await operator(server, 'GET', `/v1/mdvm/accounts/${wallet.mdvmWiId}`);
      expect(account.body.attested).toMatchObject({
        osPatchLevel: '2026-11',
        attestationIdModel: 'Pixel 8',
        appVersion: 10,
      });

      expect(await relying.accept(wallet)).toBe(wallet.mdvmWiId);
      const challenge = relying.challenge();
      expect(await relying.accept(wallet, { challenge })).toBe(wallet.mdvmWiId);
      expect(await relying.accept(wallet, { challenge })).toBe('rejected CHALLENGE_UNKNOWN');
      expect(await relying.accept(wallet, { label: 'rwsca-auth-sig' })).toBe('rejected SIGNATURE_MISSING');

      expect(
        (await operator(server, 'POST', `/v1/mdvm/accounts/${wallet.mdvmWiId}/revoke`, { reason: 'lost device' }))
          .status,
      ).toBe(200);
      // Its token is still unexpired: only the revocation list tells the backend.
      expect(await relying.accept(wallet)).toBe(wallet.mdvmWiId);
      await relying.refreshRevocations();
      expect(await relying.accept(wallet)).toBe('rejected MDVM_INSTANCE_REVOKED');
      rejected(await wallet.renew(server.url), 403, 'ACCOUNT_REVOKED');

      const decisions = await decisionsAbout(server, { capability: 'mdvm', subject: wallet.mdvmWiId! });
      expect(outcomes(decisions)).toEqual([
        ['renew', 'rejected', 'ACCOUNT_REVOKED'],
        ['renew', 'accepted', ''],
        ['renew', 'accepted', ''],
        ['renew', 'accepted', ''],
        ['register', 'accepted', ''],
      ]);
      expect(decisions[0]).toMatchObject({ platform: 'android', category: 'TRUST' });
      expect(decisions.at(-1)).toMatchObject({
        platform: 'android',
        requestId: expect.any(String),
        summary: { deviceClass: expect.objectContaining({ model: expect.any(String) }) },
      });
    });

    it('registers an iOS instance, renews it with increasing assertion counters and refuses a replayed assertion', async () => {
      const wallet = await iosWallet();
      expect((await wallet.register(server.url)).status).toBe(200);
      for (const version of ['18.2', '18.3', '18.3.1']) {
        wallet.ios.systemVersion = version;
        expect((await wallet.renew(server.url)).status).toBe(200);
      }
      expect(await relying.accept(wallet)).toBe(wallet.mdvmWiId);
      // An assertion whose counter does not move past the stored one (4 after registration and three renewals): a replay or a clone.
      rejected(await wallet.renew(server.url, { assertionCounter: 4 }), 403, 'SECURITY_VIOLATION');
      expect((await wallet.renew(server.url, { assertionCounter: 5 })).status).toBe(200);
      rejected(await (await iosWallet({ systemVersion: '17.6' })).register(server.url), 403, 'OUTDATED_OS_VERSION');
      wallet.ios.systemVersion = '18.2';
      rejected(await wallet.renew(server.url), 403, 'SECURITY_VIOLATION');
    });

    it('refuses Android downgrades and devices the policy excludes, with the reference codes', async () => {
      const wallet = await androidWallet({ osPatchLevel: 202611 });
      expect((await wallet.register(server.url)).status).toBe(200);
      wallet.android.osPatchLevel = 202610;
      rejected(await wallet.renew(server.url), 403, 'SECURITY_VIOLATION');
      wallet.android.osPatchLevel = 202611;
      wallet.android.appVersion = 9;
      rejected(await wallet.renew(server.url), 403, 'SECURITY_VIOLATION');
      wallet.android.appVersion = 10;
      wallet.android.model = 'Pixel 9';
      rejected(await wallet.renew(server.url), 403, 'SECURITY_VIOLATION');
      wallet.android.model = 'Pixel 8';
      expect((await wallet.renew(server.url)).status).toBe(200);

      rejected(await (await androidWallet({ osPatchLevel: 202501 })).register(server.url), 403, 'OUTDATED_PATCH_LEVEL');
      rejected(await (await androidWallet({ osVersion: 130000 })).register(server.url), 403, 'OUTDATED_OS_VERSION');
      rejected(
        await (await androidWallet({ deviceLocked: false })).register(server.url),
        403,
        'INVALID_BOOTLOADER_STATE',
      );
    });

    it('refuses a second account for the same auth key', async () => {
      const first = await iosWallet();
      expect((await first.register(server.url)).status).toBe(200);
      rejected(
        await (await iosWallet()).register(server.url, { authKey: first.authKeyPair! }),
        409,
        'KEY_ALREADY_REGISTERED',
      );
    });

    it('answers malformed signatures, digests, keys, bodies and ids with their errors', async () => {
      const wallet = await androidWallet();
      const corruptSignature = (request: { headers: Record<string, string> }) => {
        request.headers.signature = request.headers.signature!.replace(
          /:(.)/,
          (_, c: string) => `:${c === 'A' ? 'B' : 'A'}`,
        );
      };
      rejected(await wallet.register(server.url, { tamper: corruptSignature }), 401, 'SIGNATURE_VERIFICATION_FAILURE');
      rejected(
        await wallet.register(server.url, { tamper: (request) => delete request.headers['signature-input'] }),
        401,
        'SIGNATURE_VERIFICATION_FAILURE',
      );
      rejected(
        await wallet.register(server.url, {
          tamper: (request) => (request.body = Buffer.from(request.body.toString().replace('Pixel 8', 'Pixel 9'))),
        }),
        401,
        'WRONG_CONTENT_DIGEST',
      );
      rejected(
        await wallet.register(server.url, {
          tamper: (request) => (request.headers['content-digest'] = 'sha-256=:AAAA:'),
        }),
        401,
        'SIGNATURE_VERIFICATION_FAILURE',
      );
      rejected(
        await wallet.register(server.url, {
          tamper: (request) =>
            (request.headers['signature-input'] = request.headers['signature-input']!.replace('"content-digest"', '')),
        }),
        401,
        'SIGNATURE_VERIFICATION_FAILURE',
      );

      const challenge = await wallet.challenge(server.url);
      rejected(
        await server.post('/v1/mdvm/android/register', '{"wi_mdvm_auth_pubk":', { 'auth-challenge': challenge }),
        400,
        'BAD_REQUEST',
      );
      rejected(
        await server.post('/v1/mdvm/android/register', JSON.stringify({ wi_mdvm_auth_pubk: 'AAAA' })),
        400,
        'BAD_REQUEST',
      );
      rejected(
        await server.post('/v1/mdvm/ios/register', `{"x":"${'a'.repeat(70_000)}"}`),
        400,
        'CONTENT_LENGTH_EXCEEDED',
      );
      // Prototype poisoning is refused by the parser itself, before the schema sees the body.
      rejected(await server.post('/v1/mdvm/ios/register', '{"wi_device_class":{"__proto__":"x"}}'), 400, 'BAD_REQUEST');
      expect(server.logs.filter((line) => line.msg === 'request rejected').at(-1)).toMatchObject({
        code: 'BAD_REQUEST',
        detail: 'MALFORMED_BODY',
      });
      // The key is read before the signature can be checked with it.
      const badKey = await wallet.register(server.url, {
        tamper: (request) =>
          (request.body = Buffer.from(
            request.body
              .toString()
              .replace(/"wi_mdvm_auth_pubk":"[^"]+"/, '"wi_mdvm_auth_pubk":"MFkwEwYHKoZIzj0CAQ=="'),
          )),
      });
      rejected(badKey, 400, 'MALFORMED_KEY');
      rejected(
        await server.post('/v1/mdvm/android/renewal', '{}', {
          'mdvm-wi-id': randomUUID(),
          'auth-challenge': await wallet.challenge(server.url),
        }),
        400,
        'BAD_REQUEST',
      );

      expect((await wallet.register(server.url)).status).toBe(200);
      rejected(
        await wallet.renew(server.url, { tamper: (request) => (request.headers['mdvm-wi-id'] = randomUUID()) }),
        404,
        'ACCOUNT_NOT_FOUND',
      );
      rejected(
        await wallet.renew(server.url, {
          tamper: (request) =>
            (request.headers['signature-input'] = request.headers['signature-input']!.split(', mdvm-reattest-sig')[0]!),
        }),
        401,
        'SIGNATURE_VERIFICATION_FAILURE',
      );
      const ios = await iosWallet();
      expect((await ios.register(server.url)).status).toBe(200);
      ios.mdvmWiId = wallet.mdvmWiId;
      rejected(await ios.renew(server.url), 401, 'SIGNATURE_VERIFICATION_FAILURE');
    });

    it('registers and renews an Android wallet signing in DER as the reference wallet does (SHA256withECDSA), logging the encoding', async () => {
      const wallet = await androidWallet();
      wallet.signatureEncoding = 'der';
      expect((await wallet.register(server.url)).status).toBe(200);
      expect((await wallet.renew(server.url)).status).toBe(200);
      expect(await relying.accept(wallet)).toBe(wallet.mdvmWiId);
      const completed = server.logs.filter((line) => line.msg === 'request completed' && line.signatureEncodings);
      expect(completed.slice(-2).map((line) => line.signatureEncodings)).toEqual([
        { 'mdvm-auth-sig': 'der' },
        { 'mdvm-auth-sig': 'der', 'mdvm-reattest-sig': 'der' },
      ]);
      wallet.signatureEncoding = 'raw';
      expect((await wallet.renew(server.url)).status).toBe(200);
      expect(server.logs.filter((line) => line.signatureEncodings).at(-1)!.signatureEncodings).toEqual({
        'mdvm-auth-sig': 'raw',
        'mdvm-reattest-sig': 'raw',
      });
    });

    it('refuses a signature without alg, as the reference does', async () => {
      const wallet = await androidWallet();
      wallet.signWithAlg = false;
      rejected(await wallet.register(server.url), 401, 'SIGNATURE_VERIFICATION_FAILURE');
      expect(server.logs.filter((line) => line.msg === 'request rejected').at(-1)!.detail).toMatch(
        /SIGNATURE_POLICY_VIOLATION: the signature has no alg parameter/,
      );
      wallet.signWithAlg = true;
      expect((await wallet.register(server.url)).status).toBe(200);
      wallet.signWithAlg = false;
      rejected(await wallet.renew(server.url), 401, 'SIGNATURE_VERIFICATION_FAILURE');
    });

    it('answers an attestation made for another challenge with 403 SECURITY_VIOLATION', async () => {
      const wallet = await androidWallet();
      const other = await wallet.challenge(server.url);
      rejected(await wallet.register(server.url, { attestationChallenge: other }), 403, 'SECURITY_VIOLATION');
      expect(server.logs.filter((line) => line.msg === 'request rejected').at(-1)!.detail).toMatch(
        /^CHALLENGE_MISMATCH/,
      );
    });

    it('refuses devices of a vulnerable class: unfixable ones are revoked, fixable ones may renew once updated', async () => {
      const exposed = await androidWallet({ model: 'Kw Phone X', product: 'kwx', device: 'kwx', osPatchLevel: 202610 });
      const bystander = await androidWallet({ model: 'Kw Phone Y', product: 'kwy', device: 'kwy' });
      expect((await exposed.register(server.url)).status).toBe(200);
      expect((await bystander.register(server.url)).status).toBe(200);
      const added = await operator(server, 'POST', '/v1/mdvm/vulnerable-device-classes', {
        id: `DCVDB-X-${backend.database}`,
        platform: 'android',
        classification: 'unfixable',
        match: { models: ['kw phone x'] },
        description: 'TEE key extraction',
      });
      expect(added).toMatchObject({ status: 201, body: { affectedAccounts: 1, revokedAccounts: 1 } });
      rejected(await exposed.renew(server.url), 403, 'ACCOUNT_REVOKED');
      rejected(
        await (await androidWallet({ model: 'Kw Phone X', product: 'kwx', device: 'kwx' })).register(server.url),
        403,
        'DEVICE_VULNERABLE_UNFIXABLE',
      );
      expect((await bystander.renew(server.url)).status).toBe(200);
      await relying.refreshRevocations();
      expect(await relying.accept(exposed)).toBe('rejected MDVM_INSTANCE_REVOKED');

      const iphone = await iosWallet({ hardwareModel: 'iPhone99,1', systemVersion: '18.1' });
      expect((await iphone.register(server.url)).status).toBe(200);
      const fixable = await operator(server, 'POST', '/v1/mdvm/vulnerable-device-classes', {
        id: `DCVDB-I-${backend.database}`,
        platform: 'ios',
        classification: 'fixable',
        match: { models: ['iPhone99,1'], versionFrom: '18.0', versionTo: '18.1.9' },
      });
      expect(fixable).toMatchObject({ status: 201, body: { affectedAccounts: 1, revokedAccounts: 0 } });
      rejected(await iphone.renew(server.url), 403, 'DEVICE_VULNERABLE_FIXABLE');
      iphone.ios.systemVersion = '18.2';
      expect((await iphone.renew(server.url)).status).toBe(200);
      expect(
        (await operator(server, 'GET', '/v1/mdvm/vulnerable-device-classes')).body.deviceClasses.map(
          (entry: { id: string }) => entry.id,
        ),
      ).toEqual(expect.arrayContaining([`DCVDB-X-${backend.database}`, `DCVDB-I-${backend.database}`]));
      expect(
        (await operator(server, 'DELETE', `/v1/mdvm/vulnerable-device-classes/DCVDB-I-${backend.database}`)).status,
      ).toBe(204);
      expect(
        (
          await operator(server, 'POST', '/v1/mdvm/vulnerable-device-classes', {
            id: 'bad',
            platform: 'android',
            classification: 'fixable',
            match: {},
          })
        ).status,
      ).toBe(400);
    });
  });
}

describe('MDVM operations that need their own server', () => {
  it('lists a leaked attestation key: chains through it are refused and accounts attested through it revoked', async () => {
    const server = await startMdvmServer();
    try {
      const wallet = await androidWallet();
      expect((await wallet.register(server.url)).status).toBe(200);
      const chain = (await (await sharedAndroidDevice()).attest({ challenge: Buffer.alloc(32) })).chain;
      const certificate = new X509Certificate(chain[1]!).toString();
      const added = await operator(server, 'POST', '/v1/mdvm/leaked-keys', {
        certificate,
        description: 'leaked keybox',
      });
      expect(added).toMatchObject({
        status: 201,
        body: { affectedAccounts: 1, revokedAccounts: 1, key: { thumbprint: expect.stringMatching(/^[0-9a-f]{64}$/) } },
      });
      rejected(await wallet.renew(server.url), 403, 'ACCOUNT_REVOKED');
      rejected(await (await androidWallet()).register(server.url), 403, 'DEVICE_VULNERABLE_UNFIXABLE');
      expect((await operator(server, 'POST', '/v1/mdvm/leaked-keys', { certificate })).status).toBe(409);
      expect((await operator(server, 'DELETE', `/v1/mdvm/leaked-keys/${added.body.key.thumbprint}`)).status).toBe(204);
      expect((await (await androidWallet()).register(server.url)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('requires the operator key, deletes accounts to tombstones and serves the documented token form when configured', async () => {
    const server = await startMdvmServer({ options: { mdvm: { tokenFormat: 'documented' } } });
    try {
      expect((await fetch(`${server.url}/v1/mdvm/vulnerable-device-classes`)).status).toBe(401);
      const wallet = await iosWallet();
      expect((await wallet.register(server.url)).status).toBe(200);
      expect(decodeProtectedHeader(wallet.mdvmToken!)).toEqual({
        alg: 'ES256',
        typ: 'mdvm-token-jwt',
        kid: expect.any(String),
      });
      expect(decodeJwt(wallet.mdvmToken!).cnf).toMatchObject({ kty: 'EC', crv: 'P-256' });
      const relying = await RelyingBackend.of(server);
      expect(await relying.accept(wallet)).toBe(wallet.mdvmWiId);

      expect((await operator(server, 'DELETE', `/v1/mdvm/accounts/${wallet.mdvmWiId}`)).status).toBe(204);
      expect((await operator(server, 'GET', `/v1/mdvm/accounts/${wallet.mdvmWiId}`)).body).toMatchObject({
        revocationReason: 'deleted',
        deviceClass: {},
        attested: {},
      });
      rejected(await wallet.renew(server.url), 404, 'ACCOUNT_NOT_FOUND');
      await relying.refreshRevocations();
      expect(await relying.accept(wallet)).toBe('rejected MDVM_INSTANCE_REVOKED');
      expect((await operator(server, 'DELETE', `/v1/mdvm/accounts/${randomUUID()}`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('answers an expired challenge with CHALLENGE_EXPIRED and a stale signature with SIGNATURE_VERIFICATION_FAILURE', async () => {
    const clock = new FixedClock(Date.now());
    const server = await startMdvmServer({ clock });
    try {
      const wallet = await androidWallet();
      const challenge = await wallet.challenge(server.url);
      clock.advance(301_000);
      rejected(await wallet.register(server.url, { challenge }), 400, 'CHALLENGE_EXPIRED');
      // The server's clock is now 301 s ahead of the wallet's: a fresh challenge, but a signature created too long ago.
      rejected(await wallet.register(server.url), 401, 'SIGNATURE_VERIFICATION_FAILURE');
      expect(
        server.logs.some(
          (line) => line.code === 'SIGNATURE_VERIFICATION_FAILURE' && /SIGNATURE_EXPIRED/.test(line.detail),
        ),
      ).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('MDVM decides on signed facts over reported ones', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startMdvmServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('registers an iOS instance whose reported version matches the signed one, and keeps the signed version', async () => {
    const wallet = await iosWallet({ systemVersion: '18.2', attestedOsVersion: '18.2.0' });
    expect((await wallet.register(server.url)).status).toBe(200);
    expect((await operator(server, 'GET', `/v1/mdvm/accounts/${wallet.mdvmWiId}`)).body.attested).toMatchObject({
      osVersion: '18.2.0',
    });
    wallet.ios.systemVersion = '18.3';
    expect((await wallet.renew(server.url)).status).toBe(200);
    wallet.ios.systemVersion = '18.2.1';
    rejected(await wallet.renew(server.url), 403, 'SECURITY_VIOLATION');
  });

  it('refuses an iOS device whose certificate says 16.0 but which claims 18.2', async () => {
    rejected(
      await (await iosWallet({ systemVersion: '18.2', attestedOsVersion: '16.0' })).register(server.url),
      403,
      'SECURITY_VIOLATION',
    );
    rejected(
      await (await iosWallet({ systemVersion: '17.6', attestedOsVersion: '18.2' })).register(server.url),
      403,
      'SECURITY_VIOLATION',
    );
    rejected(
      await (await iosWallet({ systemVersion: '17.6', attestedOsVersion: '17.6' })).register(server.url),
      403,
      'OUTDATED_OS_VERSION',
    );
  });

  it('decides on the signed version when matching vulnerable classes at registration', async () => {
    const added = await operator(server, 'POST', '/v1/mdvm/vulnerable-device-classes', {
      id: 'DCVDB-SIGNED',
      platform: 'ios',
      classification: 'fixable',
      match: { models: ['iPhone98,1'], versionFrom: '18.0', versionTo: '18.1.9' },
    });
    expect(added.status).toBe(201);
    rejected(
      await (
        await iosWallet({ hardwareModel: 'iPhone98,1', systemVersion: '18.1', attestedOsVersion: '18.1' })
      ).register(server.url),
      403,
      'DEVICE_VULNERABLE_FIXABLE',
    );
    expect(
      (await (await iosWallet({ hardwareModel: 'iPhone98,1', systemVersion: '18.2' })).register(server.url)).status,
    ).toBe(200);
  });

  it('refuses a credential certificate without the OS version unless mdvm.ios.allowUnsignedOsVersion', async () => {
    rejected(await (await iosWallet({ attestedOsVersion: null })).register(server.url), 403, 'SECURITY_VIOLATION');
    const lenient = await startMdvmServer({ options: { mdvm: { ios: { allowUnsignedOsVersion: true } } } });
    try {
      const wallet = await iosWallet({ systemVersion: '18.2', attestedOsVersion: null });
      expect((await wallet.register(lenient.url)).status).toBe(200);
      expect(
        (await operator(lenient, 'GET', `/v1/mdvm/accounts/${wallet.mdvmWiId}`)).body.attested.osVersion,
      ).toBeUndefined();
      rejected(
        await (await iosWallet({ systemVersion: '17.6', attestedOsVersion: null })).register(lenient.url),
        403,
        'OUTDATED_OS_VERSION',
      );
      // A signed version still decides where there is one.
      rejected(
        await (await iosWallet({ systemVersion: '18.2', attestedOsVersion: '16.0' })).register(lenient.url),
        403,
        'SECURITY_VIOLATION',
      );
    } finally {
      await lenient.close();
    }
  });

  it('refuses an Android instance reporting another model, product or device than it attested', async () => {
    for (const [field, value] of [
      ['model', 'Pixel 9'],
      ['product', 'husky'],
      ['device', 'husky'],
    ] as const) {
      const wallet = await androidWallet();
      wallet.reportedOverrides = { [field]: value };
      rejected(await wallet.register(server.url), 403, 'SECURITY_VIOLATION');
    }
    const unattested = await androidWallet({ attestIds: false });
    unattested.reportedOverrides = { model: 'Pixel 9' };
    expect((await unattested.register(server.url)).status).toBe(200);
  });

  it('answers a body with a duplicate key with BAD_REQUEST, before anything else reads it', async () => {
    const wallet = await androidWallet();
    const challenge = await wallet.challenge(server.url);
    for (const body of [
      '{"wi_mdvm_auth_pubk":"A","wi_mdvm_auth_pubk":"B"}',
      '{"wi_device_class":{"model":"Pixel 8","\\u006dodel":"Pixel 9"}}',
    ]) {
      rejected(
        await server.post('/v1/mdvm/android/register', body, { 'auth-challenge': challenge }),
        400,
        'BAD_REQUEST',
      );
      expect(server.logs.filter((line) => line.msg === 'request rejected').at(-1)).toMatchObject({
        code: 'BAD_REQUEST',
        detail: expect.stringMatching(/^MALFORMED_BODY: duplicate key/),
      });
    }
    // A genuine request on the same challenge still goes through: the refused ones consumed nothing.
    expect((await wallet.register(server.url, { challenge })).status).toBe(200);
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`MDVM spends an auth challenge only on a verified request, on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startMdvmServer({ database: backend.database, redis: backend.redis });
    });
    afterAll(async () => {
      await server?.close();
    });

    const corruptSignature = (request: { headers: Record<string, string> }) => {
      request.headers.signature = request.headers.signature!.replace(
        /:(.)/,
        (_, c: string) => `:${c === 'A' ? 'B' : 'A'}`,
      );
    };

    it('does not burn a registration challenge on a bad signature or a refused attestation; the wallet’s own request then succeeds, a replay does not', async () => {
      for (const wallet of [await androidWallet(), await iosWallet()]) {
        const challenge = await wallet.challenge(server.url);
        // Someone who saw the challenge sends requests with it: a broken signature, a device the policy refuses.
        rejected(
          await (await androidWallet()).register(server.url, { challenge, tamper: corruptSignature }),
          401,
          'SIGNATURE_VERIFICATION_FAILURE',
        );
        rejected(
          await (await androidWallet({ osPatchLevel: 202501 })).register(server.url, { challenge }),
          403,
          'OUTDATED_PATCH_LEVEL',
        );
        rejected(
          await (await iosWallet({ systemVersion: '17.6' })).register(server.url, { challenge }),
          403,
          'OUTDATED_OS_VERSION',
        );
        expect((await wallet.register(server.url, { challenge })).status).toBe(200);
        rejected(
          await (await androidWallet()).register(server.url, { challenge }),
          400,
          'CHALLENGE_VERIFICATION_FAILURE',
        );
        rejected(await (await iosWallet()).register(server.url, { challenge }), 400, 'CHALLENGE_VERIFICATION_FAILURE');
      }
    });

    it('does not burn a renewal challenge on a bad signature; the renewal with it then succeeds, a replay does not', async () => {
      for (const wallet of [await androidWallet(), await iosWallet()]) {
        expect((await wallet.register(server.url)).status).toBe(200);
        const challenge = await wallet.challenge(server.url);
        rejected(
          await wallet.renew(server.url, { challenge, tamper: corruptSignature }),
          401,
          'SIGNATURE_VERIFICATION_FAILURE',
        );
        expect((await wallet.renew(server.url, { challenge })).status).toBe(200);
        rejected(await wallet.renew(server.url, { challenge }), 400, 'CHALLENGE_VERIFICATION_FAILURE');
      }
    });

    it('gives one success to concurrent registrations on one challenge', async () => {
      const challenge = await (await androidWallet()).challenge(server.url);
      const wallets = await Promise.all(Array.from({ length: 20 }, () => androidWallet()));
      const results = await Promise.all(wallets.map((wallet) => wallet.register(server.url, { challenge })));
      expect(results.filter((result) => result.status === 200)).toHaveLength(1);
      expect(results.filter((result) => result.body.code === 'CHALLENGE_VERIFICATION_FAILURE')).toHaveLength(19);
    });
  });
}

describe('MDVM error replies in the reference shape (MdvmErrorResponse)', () => {
  it('carry code, description, the time as Java prints a LocalDateTime (UTC) and the request id as trace_id', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const clock = new FixedClock(minute);
    const server = await startMdvmServer({ clock });
    try {
      const stamp = (iso: string) => iso.slice(0, -1);
      const expected = [
        [0, stamp(new Date(minute).toISOString()).slice(0, 16)],
        [5_000, stamp(new Date(minute + 5_000).toISOString()).slice(0, 19)],
        [5_123, stamp(new Date(minute + 5_123).toISOString())],
      ] as const;
      for (const [offset, timestamp] of expected) {
        clock.set(minute + offset);
        const response = await server.post('/v1/mdvm/android/register', '{"wi_mdvm_auth_pubk":');
        rejected(response, 400, 'BAD_REQUEST');
        expect(response.body.timestamp).toBe(timestamp);
        expect(response.body.trace_id).toBe(response.headers.get('x-request-id'));
        expect(typeof response.body.description).toBe('string');
      }
      const traced = await server.post('/v1/mdvm/android/register', '{}', { 'x-request-id': 'wallet-trace-1' });
      rejected(traced, 400, 'BAD_REQUEST');
      expect(traced.body.trace_id).toBe('wallet-trace-1');
    } finally {
      await server.close();
    }
  });

  it('answers an unexpected failure with 500 INTERNAL_SERVER_ERROR, the cause only in the log', async () => {
    const server = await startMdvmServer();
    try {
      vi.spyOn(server.services.mdvm!.service, 'registerAndroid').mockRejectedValueOnce(new Error('secret cause'));
      const response = await (await androidWallet()).register(server.url);
      rejected(response, 500, 'INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(response.body)).not.toContain('secret cause');
      expect(server.logs.some((line) => line.level === 50 && line.err?.message === 'secret cause')).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses DER signatures with 401 when mdvm.signatureEncodings is ["raw"]', async () => {
    const server = await startMdvmServer({ options: { 'mdvm.signatureEncodings': ['raw'] } });
    try {
      const wallet = await androidWallet();
      wallet.signatureEncoding = 'der';
      rejected(await wallet.register(server.url), 401, 'SIGNATURE_VERIFICATION_FAILURE');
      wallet.signatureEncoding = 'raw';
      expect((await wallet.register(server.url)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it.skipIf(skipWithoutPostgres)('answers 503 DB_UNAVAILABLE when the database fails', async () => {
    const server = await startMdvmServer({ database: 'postgres' });
    try {
      const wallet = await androidWallet();
      expect((await wallet.register(server.url)).status).toBe(200);
      const challenge = await wallet.challenge(server.url);
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop schema "${server.config.databaseSchema}" cascade`);
      } finally {
        await client.end();
      }
      rejected(await wallet.renew(server.url, { challenge }), 503, 'DB_UNAVAILABLE');
      const response = await fetch(`${server.url}/v1/mdvm/challenge`, { method: 'POST' });
      rejected(
        { status: response.status, body: (await response.json()) as Record<string, unknown> },
        503,
        'DB_UNAVAILABLE',
      );
      const list = await fetch(`${server.url}/v1/mdvm/revocations`);
      rejected({ status: list.status, body: (await list.json()) as Record<string, unknown> }, 503, 'DB_UNAVAILABLE');
      expect(server.logs.some((line) => line.level === 50 && /does not exist/.test(line.err?.message))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
