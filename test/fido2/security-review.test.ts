import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import { skipWithoutPostgres } from '../helpers/backends.js';
import type { TestServer } from '../helpers/server.js';
import {
  authenticationOptions,
  authenticator,
  createCredential,
  expectFailure,
  getAssertion,
  newUserName,
  operatorGet,
  register,
  registrationOptions,
  startFido2Server,
} from './helpers.js';

const postRegistration = (server: TestServer, response: unknown) => server.post('/fido2/attestation/result', response);
const postAssertion = (server: TestServer, response: unknown) => server.post('/fido2/assertion/result', response);

/** POSTs a JSON text as it is (a deeply nested value would overflow JSON.stringify's stack here). */
async function postRaw(server: TestServer, path: string, json: string) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: json,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const DEEP = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

/** Credentials stored for a user name (operator API). */
async function credentialsOf(server: TestServer, userName: string) {
  const listing = await operatorGet(server, `/admin/v1/fido2/credentials?userName=${encodeURIComponent(userName)}`);
  expect(listing.status).toBe(200);
  return listing.body.credentials as { credentialId: string; userHandle: string; userName: string }[];
}

for (const backend of [
  { name: 'SQLite', database: 'sqlite' as const, skip: false },
  { name: 'PostgreSQL', database: 'postgres' as const, skip: skipWithoutPostgres },
]) {
  describe.skipIf(backend.skip)(`WebAuthn security review fixes on ${backend.name}`, () => {
    const clock = new FixedClock(Date.now());
    let server: TestServer;
    beforeAll(async () => {
      server = await startFido2Server({ database: backend.database, clock });
    });
    afterAll(async () => {
      await server?.close();
    });

    describe('allowAdditionalCredentials (default false)', () => {
      it('warns at start only when it is on', async () => {
        const warned = (logs: TestServer['logs']) =>
          logs.some((line) => line.level === 40 && /allowAdditionalCredentials is on/.test(String(line.msg)));
        expect(warned(server.logs)).toBe(false);
        const open = await startFido2Server({
          database: backend.database,
          fido2: { allowAdditionalCredentials: true },
        });
        try {
          expect(warned(open.logs)).toBe(true);
        } finally {
          await open.close();
        }
      });

      it('refuses an authenticator added to an existing user name, at options and at result', async () => {
        const victim = await authenticator({ format: 'packed' });
        const { userName, result } = await register(server, victim);
        expect(result.status).toBe(200);
        // The attacker asks for registration options for the victim's name.
        expectFailure(
          await registrationOptions(server, { username: userName, displayName: 'Attacker' }),
          'ADDITIONAL_CREDENTIAL_REFUSED',
        );
        expect(await credentialsOf(server, userName)).toHaveLength(1);
      });

      it('stores exactly one of 10 racing first registrations of one new user name', async () => {
        const userName = newUserName('race');
        const options = [];
        for (let i = 0; i < 10; i++) {
          const reply = await registrationOptions(server, { username: userName, displayName: `Racer ${i}` });
          expect(reply.status).toBe(200);
          options.push(reply.body);
        }
        const responses = await Promise.all(
          options.map(async (issued) => createCredential(server, await authenticator({ format: 'packed' }), issued)),
        );
        const replies = await Promise.all(responses.map((response) => postRegistration(server, response)));
        expect(replies.filter((reply) => reply.status === 200)).toHaveLength(1);
        for (const reply of replies.filter((reply) => reply.status !== 200))
          expectFailure(reply, 'ADDITIONAL_CREDENTIAL_REFUSED');
        expect(await credentialsOf(server, userName)).toHaveLength(1);
      });
    });

    describe('user verification required by configuration', () => {
      let strict: TestServer;
      beforeAll(async () => {
        strict = await startFido2Server({ database: backend.database, fido2: { userVerification: 'required' } });
      });
      afterAll(async () => {
        await strict?.close();
      });

      it('is a floor no registration request lowers', async () => {
        const device = await authenticator({ format: 'packed' });
        const options = await registrationOptions(strict, {
          username: newUserName(),
          displayName: 'x',
          authenticatorSelection: { userVerification: 'discouraged' },
        });
        expect(options.body.authenticatorSelection.userVerification).toBe('required');
        expectFailure(
          await postRegistration(strict, await createCredential(strict, device, options.body, { userVerified: false })),
          'USER_VERIFICATION_MISSING',
        );
        const verified = await postRegistration(strict, await createCredential(strict, device, options.body));
        expect(verified.status).toBe(200);
      });

      it('is a floor no sign-in request lowers, with a user name and without one', async () => {
        const device = await authenticator({ format: 'packed' });
        const { userName, result } = await register(strict, device, newUserName(), {
          authenticatorSelection: { residentKey: 'required' },
        });
        expect(result.status).toBe(200);
        for (const username of [userName, '']) {
          const options = await authenticationOptions(strict, { username, userVerification: 'discouraged' });
          expect(options.body.userVerification).toBe('required');
          expectFailure(
            await postAssertion(strict, getAssertion(strict, device, options.body, { userVerified: false })),
            'USER_VERIFICATION_MISSING',
          );
          expect((await postAssertion(strict, getAssertion(strict, device, options.body))).status).toBe(200);
        }
      });
    });

    describe('extensions', () => {
      it('refuses values nested 10,000 deep on both options routes before anything is written', async () => {
        const userName = newUserName('deep');
        const creation = await postRaw(
          server,
          '/fido2/attestation/options',
          `{"username":${JSON.stringify(userName)},"displayName":"x","extensions":{"example":${DEEP}}}`,
        );
        expectFailure(creation, 'EXTENSIONS_TOO_DEEP');
        // No user, and no registration under way, for the name.
        expectFailure(await authenticationOptions(server, { username: userName }), 'WEBAUTHN_USER_UNKNOWN');

        const device = await authenticator({ format: 'packed' });
        const registered = await register(server, device);
        const get = await postRaw(
          server,
          '/fido2/assertion/options',
          `{"username":${JSON.stringify(registered.userName)},"extensions":{"example":${DEEP}}}`,
        );
        expectFailure(get, 'EXTENSIONS_TOO_DEEP');
      });

      it('refuses deep client extension results on the result routes', async () => {
        const device = await authenticator({ format: 'packed' });
        const options = await registrationOptions(server, { username: newUserName(), displayName: 'x' });
        const registration = await createCredential(server, device, options.body);
        const { userName } = await register(server, device);
        const signIn = await authenticationOptions(server, { username: userName });
        const assertion = getAssertion(server, device, signIn.body);
        for (const [path, response] of [
          ['/fido2/attestation/result', registration],
          ['/fido2/assertion/result', assertion],
        ] as const) {
          for (const field of ['clientExtensionResults', 'getClientExtensionResults']) {
            const { clientExtensionResults: _, ...rest } = response as unknown as Record<string, unknown>;
            const body = `${JSON.stringify(rest).slice(0, -1)},"${field}":{"example":${DEEP}}}`;
            expectFailure(await postRaw(server, path, body), 'EXTENSIONS_TOO_DEEP');
          }
        }
        // Eight levels are accepted: the responses verify with them, the challenges unspent by the refusals.
        const eight = JSON.parse(`{"example":${'['.repeat(8)}${']'.repeat(8)}}`);
        expect((await postRegistration(server, { ...registration, clientExtensionResults: eight })).status).toBe(200);
        expect((await postAssertion(server, { ...assertion, clientExtensionResults: eight })).status).toBe(200);
      });

      it('takes at most 16 extensions with names of at most 64 characters', async () => {
        const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`ext${i}`, true]));
        const request = (extensions: Record<string, unknown>) =>
          registrationOptions(server, { username: newUserName(), displayName: 'x', extensions });
        expectFailure(await request(many), 'INVALID_REQUEST');
        expectFailure(await request({ ['x'.repeat(65)]: true }), 'INVALID_REQUEST');
        expectFailure(await authenticationOptions(server, { extensions: many }), 'INVALID_REQUEST');
        const sixteen = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`ext${i}`, true]));
        expect((await request({ ...sixteen, ['x'.repeat(64)]: { a: [1] } })).status).toBe(200);
      });
    });

    describe('user names', () => {
      it('are normalised to NFC', async () => {
        const base = newUserName('nfc');
        const decomposed = `Jose\u0301-${base}`;
        const composed = `Jos\u00e9-${base}`;
        const device = await authenticator({ format: 'packed' });
        const { options, result } = await register(server, device, decomposed);
        expect(result.status).toBe(200);
        expect(options.user.name).toBe(composed);
        const signIn = await authenticationOptions(server, { username: composed });
        expect(signIn.body.allowCredentials).toHaveLength(1);
        const listed = await credentialsOf(server, decomposed);
        expect(listed.map((credential) => credential.userName)).toEqual([composed]);
      });

      it('refuse control characters and bidirectional overrides', async () => {
        for (const character of [
          '\u0000',
          '\u0007',
          '\u001b',
          '\u007f',
          '\u0085',
          '\u009f',
          '\u202a',
          '\u202e',
          '\u2066',
          '\u2069',
        ]) {
          const userName = `a${character}${newUserName()}`;
          expectFailure(
            await registrationOptions(server, { username: userName, displayName: 'x' }),
            'USER_NAME_INVALID',
          );
          expectFailure(await authenticationOptions(server, { username: userName }), 'USER_NAME_INVALID');
        }
      });

      it('get no user row from options alone', async () => {
        const userName = newUserName('options-only');
        const options = await registrationOptions(server, { username: userName, displayName: 'x' });
        expect(options.status).toBe(200);
        // Once the registration could no longer complete, nothing remains of the name.
        clock.advance(300_001);
        expectFailure(await authenticationOptions(server, { username: userName }), 'WEBAUTHN_USER_UNKNOWN');
        expect(await credentialsOf(server, userName)).toEqual([]);
      });

      it('end with one user when two first registrations of one name interleave', async () => {
        const userName = newUserName('interleaved');
        const first = await registrationOptions(server, { username: userName, displayName: 'First' });
        const second = await registrationOptions(server, { username: userName, displayName: 'Second' });
        const [a, b] = [await authenticator({ format: 'packed' }), await authenticator({ format: 'packed' })];
        const responseA = await createCredential(server, a, first.body);
        const responseB = await createCredential(server, b, second.body);
        expect((await postRegistration(server, responseA)).status).toBe(200);
        expectFailure(await postRegistration(server, responseB), 'ADDITIONAL_CREDENTIAL_REFUSED');
        const stored = await credentialsOf(server, userName);
        expect(stored.map((credential) => credential.userHandle)).toEqual([first.body.user.id]);
      });

      it('refuse a registration whose user name another registration created with another handle', async () => {
        // Options asked for at the same time for a new name can get different handles (neither saw the other's).
        let userName = '';
        let pair: { body: any }[] = [];
        for (let attempt = 0; attempt < 20 && pair.length === 0; attempt++) {
          userName = newUserName('taken');
          const replies = await Promise.all(
            ['First', 'Second'].map((displayName) => registrationOptions(server, { username: userName, displayName })),
          );
          if (replies[0]!.body.user.id !== replies[1]!.body.user.id) pair = replies;
        }
        expect(pair).toHaveLength(2);
        const [first, second] = pair as [{ body: any }, { body: any }];
        const [a, b] = [await authenticator({ format: 'packed' }), await authenticator({ format: 'packed' })];
        expect((await postRegistration(server, await createCredential(server, a, first.body))).status).toBe(200);
        expectFailure(
          await postRegistration(server, await createCredential(server, b, second.body)),
          'WEBAUTHN_USER_NAME_TAKEN',
        );
        const stored = await credentialsOf(server, userName);
        expect(stored.map((credential) => credential.userHandle)).toEqual([first.body.user.id]);
      });
    });
  });
}
