import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import {
  type Ceremony,
  NONCE_BYTES,
  ceremonyChallenge,
  readCeremonyChallenge,
} from '../../src/features/fido2/ceremony-challenge.js';
import type { SimulatedAuthenticator } from '../../src/simulator/webauthn/authenticator.js';
import { SERVER_BACKENDS } from '../helpers/backends.js';
import type { TestServer } from '../helpers/server.js';
import {
  authenticationOptions,
  authenticator,
  createCredential,
  expectFailure,
  getAssertion,
  newUserName,
  register,
  registrationOptions,
  startFido2Server,
} from './helpers.js';

const postRegistration = (server: TestServer, response: unknown) => server.post('/fido2/attestation/result', response);
const postAssertion = (server: TestServer, response: unknown) => server.post('/fido2/assertion/result', response);

/** Fresh registration options for a new user. */
async function newRegistration(server: TestServer, request: Record<string, unknown> = {}) {
  const options = await registrationOptions(server, { username: newUserName(), displayName: 'Test User', ...request });
  expect(options.status).toBe(200);
  return options.body;
}

/** A registered device, its user name and user handle. */
async function registered(server: TestServer, device: SimulatedAuthenticator, request: Record<string, unknown> = {}) {
  const { userName, options, result } = await register(server, device, newUserName(), request);
  expect(result.status).toBe(200);
  return { userName, userHandle: options.user.id as string, credentialId: result.body.credentialId as string };
}

async function assertionOptions(server: TestServer, userName: string, request: Record<string, unknown> = {}) {
  const options = await authenticationOptions(server, { username: userName, ...request });
  expect(options.status).toBe(200);
  return options.body;
}

/** The challenge with the ceremony description altered (the nonce kept). */
function altered(challenge: string, change: (ceremony: Ceremony) => Ceremony): Buffer {
  const { nonce, ceremony } = readCeremonyChallenge(Buffer.from(challenge, 'base64url'));
  return ceremonyChallenge(nonce, change(ceremony));
}

for (const backend of SERVER_BACKENDS) {
  describe.skipIf(backend.skip)(`WebAuthn refusals over HTTP on ${backend.name}`, () => {
    let server: TestServer;
    let device: SimulatedAuthenticator;
    beforeAll(async () => {
      server = await startFido2Server({ database: backend.database, redis: backend.redis });
      device = await authenticator({ format: 'packed' });
    });
    afterAll(async () => {
      await server?.close();
    });

    describe('registration', () => {
      it('accepts a challenge once', async () => {
        const options = await newRegistration(server);
        const response = await createCredential(server, device, options);
        expect((await postRegistration(server, response)).status).toBe(200);
        expectFailure(await postRegistration(server, response), 'CHALLENGE_USED');
      });

      it('refuses another origin, RP ID or client data type, without spending the challenge', async () => {
        const options = await newRegistration(server);
        expectFailure(
          await postRegistration(
            server,
            await createCredential(server, device, options, { origin: 'https://evil.example' }),
          ),
          'ORIGIN_MISMATCH',
        );
        expectFailure(
          await postRegistration(server, await createCredential(server, device, options, { rpId: 'evil.example' })),
          'RP_ID_MISMATCH',
        );
        expectFailure(
          await postRegistration(server, await createCredential(server, device, options, { type: 'webauthn.get' })),
          'CLIENT_DATA_TYPE_MISMATCH',
        );
        expectFailure(
          await postRegistration(server, await createCredential(server, device, options, { crossOrigin: true })),
          'CROSS_ORIGIN_REFUSED',
        );
        // None of them spent the challenge: the genuine response still registers.
        expect((await postRegistration(server, await createCredential(server, device, options))).status).toBe(200);
      });

      it('refuses a challenge it did not issue, or issued for other parameters', async () => {
        const options = await newRegistration(server, { authenticatorSelection: { userVerification: 'required' } });
        const ceremony: Ceremony = readCeremonyChallenge(Buffer.from(options.challenge, 'base64url')).ceremony;
        const answer = (challenge: Uint8Array) => createCredential(server, device, options, { challenge });
        expectFailure(await postRegistration(server, await answer(randomBytes(32))), 'CEREMONY_CHALLENGE_UNREADABLE');
        expectFailure(
          await postRegistration(server, await answer(ceremonyChallenge(randomBytes(NONCE_BYTES), ceremony))),
          'CHALLENGE_UNKNOWN',
        );
        // Claiming laxer user verification, other algorithms or another user is a subject the nonce was not issued for.
        for (const change of [
          (issued: Ceremony) => ({ ...issued, userVerification: 'discouraged' as const }),
          (issued: Ceremony) => ({ ...issued, algorithms: [...issued.algorithms, -65535] }),
          (issued: Ceremony) => ({ ...issued, userHandle: randomBytes(32).toString('base64url') }),
        ])
          expectFailure(
            await postRegistration(server, await answer(altered(options.challenge, change))),
            'CHALLENGE_SUBJECT_MISMATCH',
          );
        // A sign-in challenge cannot register.
        const getOptions = await assertionOptions(server, '');
        expectFailure(
          await postRegistration(server, await answer(Buffer.from(getOptions.challenge, 'base64url'))),
          'CEREMONY_MISMATCH',
        );
      });

      it('requires user presence, and user verification when asked for', async () => {
        const options = await newRegistration(server);
        expectFailure(
          await postRegistration(server, await createCredential(server, device, options, { userPresent: false })),
          'USER_PRESENCE_MISSING',
        );
        // Preferred: a response without UV registers, and says so.
        const unverified = await postRegistration(
          server,
          await createCredential(server, device, options, { userVerified: false }),
        );
        expect(unverified.status).toBe(200);
        expect(unverified.body.userVerified).toBe(false);
        const required = await newRegistration(server, { authenticatorSelection: { userVerification: 'required' } });
        expectFailure(
          await postRegistration(server, await createCredential(server, device, required, { userVerified: false })),
          'USER_VERIFICATION_MISSING',
        );
      });
    });

    describe('sign-in', () => {
      it('accepts a challenge once', async () => {
        const { userName } = await registered(server, device);
        const options = await assertionOptions(server, userName);
        const response = getAssertion(server, device, options);
        expect((await postAssertion(server, response)).status).toBe(200);
        expectFailure(await postAssertion(server, response), 'CHALLENGE_USED');
      });

      it('refuses another origin, RP ID or client data type, without spending the challenge', async () => {
        const { userName } = await registered(server, device);
        const options = await assertionOptions(server, userName);
        expectFailure(
          await postAssertion(server, getAssertion(server, device, options, { origin: 'https://evil.example' })),
          'ORIGIN_MISMATCH',
        );
        expectFailure(
          await postAssertion(server, getAssertion(server, device, options, { rpId: 'evil.example' })),
          'RP_ID_MISMATCH',
        );
        expectFailure(
          await postAssertion(server, getAssertion(server, device, options, { type: 'webauthn.create' })),
          'CLIENT_DATA_TYPE_MISMATCH',
        );
        const genuine = getAssertion(server, device, options);
        expectFailure(
          await postAssertion(server, {
            ...genuine,
            response: { ...genuine.response, signature: Buffer.from(randomBytes(70)).toString('base64url') },
          }),
          'CREDENTIAL_SIGNATURE_INVALID',
        );
        expect((await postAssertion(server, genuine)).status).toBe(200);
      });

      it('refuses a challenge it did not issue, or issued for another user or ceremony', async () => {
        const { userName, userHandle } = await registered(server, device);
        const options = await assertionOptions(server, userName);
        const answer = (challenge: Uint8Array) => getAssertion(server, device, options, { challenge });
        expectFailure(await postAssertion(server, answer(randomBytes(40))), 'CEREMONY_CHALLENGE_UNREADABLE');
        const ceremony: Ceremony = {
          kind: 'authentication',
          userHandle,
          userVerification: 'preferred',
          algorithms: [],
        };
        expectFailure(
          await postAssertion(server, answer(ceremonyChallenge(randomBytes(NONCE_BYTES), ceremony))),
          'CHALLENGE_UNKNOWN',
        );
        expectFailure(
          await postAssertion(
            server,
            answer(altered(options.challenge, (issued) => ({ ...issued, userVerification: 'discouraged' }))),
          ),
          'CHALLENGE_SUBJECT_MISMATCH',
        );
        const creation = await newRegistration(server);
        expectFailure(
          await postAssertion(server, answer(Buffer.from(creation.challenge, 'base64url'))),
          'CEREMONY_MISMATCH',
        );
      });

      it('requires user presence, and user verification when asked for', async () => {
        const { userName } = await registered(server, device);
        const options = await assertionOptions(server, userName);
        expectFailure(
          await postAssertion(server, getAssertion(server, device, options, { userPresent: false })),
          'USER_PRESENCE_MISSING',
        );
        const required = await assertionOptions(server, userName, { userVerification: 'required' });
        expectFailure(
          await postAssertion(server, getAssertion(server, device, required, { userVerified: false })),
          'USER_VERIFICATION_MISSING',
        );
        const unverified = await postAssertion(server, getAssertion(server, device, options, { userVerified: false }));
        expect(unverified.status).toBe(200);
        expect(unverified.body.userVerified).toBe(false);
      });

      it('refuses a credential of another user, an unknown one, and a user handle that is not the credential’s', async () => {
        const alice = await registered(server, device);
        const other = await authenticator({ format: 'packed' });
        const bob = await registered(server, other, { authenticatorSelection: { residentKey: 'required' } });
        // Options for Alice, answered with Bob's credential.
        const forAlice = await assertionOptions(server, alice.userName);
        expectFailure(
          await postAssertion(server, getAssertion(server, other, forAlice, { allowCredentials: [bob.credentialId] })),
          'CREDENTIAL_NOT_ALLOWED',
        );
        // A credential the server never registered (its registration was never sent).
        const stranger = await authenticator({ format: 'packed' });
        await createCredential(server, stranger, await newRegistration(server));
        const usernameless = await assertionOptions(server, '');
        expectFailure(
          await postAssertion(server, getAssertion(server, stranger, usernameless, { allowCredentials: [] })),
          'CREDENTIAL_UNKNOWN',
        );
        // Without a user name the user handle decides: it must be there and be the credential's user.
        const bobs = getAssertion(server, other, usernameless);
        expectFailure(
          await postAssertion(server, { ...bobs, response: { ...bobs.response, userHandle: alice.userHandle } }),
          'USER_HANDLE_MISMATCH',
        );
        const { userHandle: _, ...withoutHandle } = bobs.response;
        expectFailure(await postAssertion(server, { ...bobs, response: withoutHandle }), 'USER_HANDLE_MISSING');
        expect((await postAssertion(server, bobs)).status).toBe(200);
      });

      it('flags a credential whose counter regresses and refuses it from then on', async () => {
        const { userName, credentialId } = await registered(server, device);
        for (let use = 1; use <= 2; use++) {
          const ok = await postAssertion(
            server,
            getAssertion(server, device, await assertionOptions(server, userName)),
          );
          expect(ok.body.counter).toBe(use);
        }
        // The clone reports a count the original already used.
        const cloned = getAssertion(server, device, await assertionOptions(server, userName), { counter: 2 });
        expectFailure(await postAssertion(server, cloned), 'SIGN_COUNT_REGRESSED');
        const flagged = await server.services.store.webauthnCredentials.get(credentialId);
        expect(flagged!.possiblyClonedAt).toBeGreaterThan(0);
        expect(flagged!.counter).toBe(2);
        expect(
          server.logs.some(
            (line) =>
              line.credentialId === credentialId && /possibly cloned/.test(String(line.msg)) && line.counter === 2,
          ),
        ).toBe(true);
        // Even a response with a higher count is refused now.
        const next = getAssertion(server, device, await assertionOptions(server, userName), { counter: 10 });
        expectFailure(await postAssertion(server, next), 'CREDENTIAL_POSSIBLY_CLONED');
      });

      it('accepts authenticators whose counter stays zero', async () => {
        const passkey = await authenticator({ format: 'none', counterIncrements: false });
        const { userName } = await registered(server, passkey);
        for (let use = 0; use < 2; use++) {
          const signedIn = await postAssertion(
            server,
            getAssertion(server, passkey, await assertionOptions(server, userName)),
          );
          expect(signedIn.status).toBe(200);
          expect(signedIn.body.counter).toBe(0);
        }
      });

      it('refuses a use that lost the race for the counter to another one', async () => {
        const { userName, credentialId } = await registered(server, device);
        const credentials = server.services.store.webauthnCredentials;
        const get = credentials.get;
        // Another sign-in records its use between this one's read and its compare-and-set.
        credentials.get = async (id: string) => {
          const credential = await get.call(credentials, id);
          if (credential && id === credentialId)
            await credentials.recordUse(id, {
              expectedCounter: credential.counter,
              counter: credential.counter + 5,
              at: Date.now(),
              backedUp: false,
            });
          return credential;
        };
        try {
          const response = getAssertion(server, device, await assertionOptions(server, userName));
          expectFailure(await postAssertion(server, response), 'CREDENTIAL_USE_CONFLICT');
        } finally {
          credentials.get = get;
        }
        expect((await credentials.get(credentialId))!.counter).toBe(5);
      });
    });
  });
}

describe('WebAuthn challenge lifetime', () => {
  let server: TestServer;
  const clock = new FixedClock(Date.now());
  beforeAll(async () => {
    server = await startFido2Server({ clock, fido2: { timeoutMs: { registration: 60_000, authentication: 30_000 } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is the ceremony’s timeout', async () => {
    const device = await authenticator({ format: 'none' });
    const options = await registrationOptions(server, { username: newUserName(), displayName: 'x' });
    expect(options.body.timeout).toBe(60_000);
    const response = await createCredential(server, device, options.body);
    clock.advance(60_001);
    expectFailure(await postRegistration(server, response), 'CHALLENGE_EXPIRED');
    const again = await registrationOptions(server, { username: newUserName(), displayName: 'x' });
    const registeredResult = await postRegistration(server, await createCredential(server, device, again.body));
    expect(registeredResult.status).toBe(200);
    const getOptions = await authenticationOptions(server, { username: again.body.user.name });
    expect(getOptions.body.timeout).toBe(30_000);
    const assertion = getAssertion(server, device, getOptions.body);
    clock.advance(29_000);
    expect((await postAssertion(server, assertion)).status).toBe(200);
  });
});
