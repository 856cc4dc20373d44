import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedFormat } from '../../src/simulator/webauthn/models.js';
import { skipWithoutPostgres, skipWithoutRedis } from '../helpers/backends.js';
import { decisionsAbout, outcomes } from '../helpers/decisions.js';
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
  signIn,
  startFido2Server,
} from './helpers.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

/** What each simulated authenticator's registration comes to with the simulator's roots and metadata statements trusted. */
const FORMATS: {
  name: string;
  format: SimulatedFormat;
  selfAttestation?: boolean;
  attestationType: string;
  trust: string;
  outcome: string;
  metadata: boolean;
  zeroAaguid?: boolean;
}[] = [
  { name: 'packed', format: 'packed', attestationType: 'basic', trust: 'metadata', outcome: 'trusted', metadata: true },
  {
    name: 'packed self',
    format: 'packed',
    selfAttestation: true,
    attestationType: 'self',
    trust: 'none',
    outcome: 'self',
    metadata: true,
  },
  { name: 'tpm', format: 'tpm', attestationType: 'attca', trust: 'metadata', outcome: 'trusted', metadata: true },
  {
    name: 'android-key',
    format: 'android-key',
    attestationType: 'basic',
    trust: 'metadata',
    outcome: 'trusted',
    metadata: true,
  },
  { name: 'apple', format: 'apple', attestationType: 'anonca', trust: 'metadata', outcome: 'trusted', metadata: true },
  {
    name: 'fido-u2f',
    format: 'fido-u2f',
    attestationType: 'basic',
    trust: 'metadata',
    outcome: 'trusted',
    metadata: true,
    zeroAaguid: true,
  },
  { name: 'none', format: 'none', attestationType: 'none', trust: 'none', outcome: 'none', metadata: true },
];

for (const backend of [
  { name: 'SQLite', database: 'sqlite' as const, redis: false, skip: false },
  {
    name: 'PostgreSQL + Redis',
    database: 'postgres' as const,
    redis: true,
    skip: skipWithoutPostgres || skipWithoutRedis,
  },
]) {
  describe.skipIf(backend.skip)(`WebAuthn ceremonies over HTTP on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      // Users here get second credentials (fido2.allowAdditionalCredentials defaults to false).
      server = await startFido2Server({
        database: backend.database,
        redis: backend.redis,
        fido2: { allowAdditionalCredentials: true },
      });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('answers registration options in the conformance profile’s shape', async () => {
      const userName = newUserName();
      const { status, body } = await registrationOptions(server, {
        username: userName,
        displayName: 'Alex Müller',
        authenticatorSelection: {
          requireResidentKey: false,
          authenticatorAttachment: 'cross-platform',
          userVerification: 'required',
        },
        attestation: 'indirect',
        extensions: { example: true },
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        status: 'ok',
        errorMessage: '',
        rp: { id: 'localhost', name: 'Keyward' },
        user: { name: userName, displayName: 'Alex Müller' },
        timeout: 300_000,
        excludeCredentials: [],
        authenticatorSelection: {
          authenticatorAttachment: 'cross-platform',
          residentKey: 'preferred',
          requireResidentKey: false,
          userVerification: 'required',
        },
        attestation: 'indirect',
        extensions: { example: true, credProps: true },
      });
      expect(body.user.id).toMatch(BASE64URL);
      expect(Buffer.from(body.user.id, 'base64url').length).toBeLessThanOrEqual(64);
      const challenge = Buffer.from(body.challenge, 'base64url');
      expect(body.challenge).toMatch(BASE64URL);
      expect(challenge.length).toBeGreaterThanOrEqual(16);
      expect(challenge.length).toBeLessThanOrEqual(64);
      // The ten algorithms of the issue, RS1 not among them unless configured.
      expect(body.pubKeyCredParams.map((parameter: { alg: number }) => parameter.alg).sort()).toEqual(
        [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8].sort(),
      );
      expect(body.pubKeyCredParams.every((parameter: { type: string }) => parameter.type === 'public-key')).toBe(true);
      // The same user name gets the same user handle.
      const again = await registrationOptions(server, { username: userName, displayName: 'Alex Müller' });
      expect(again.body.user.id).toBe(body.user.id);
      expect(again.body.challenge).not.toBe(body.challenge);
      expect(again.body).toMatchObject({
        attestation: 'direct',
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      });
      // requireResidentKey (WebAuthn Level 1) is residentKey required.
      const resident = await registrationOptions(server, {
        username: newUserName(),
        displayName: 'x',
        authenticatorSelection: { requireResidentKey: true },
      });
      expect(resident.body.authenticatorSelection).toMatchObject({ residentKey: 'required', requireResidentKey: true });
    });

    it("takes Janssen clients' requests: no display name (the user name is shown), documentDomain and session_id ignored", async () => {
      const userName = newUserName();
      const { status, body } = await registrationOptions(server, {
        username: userName,
        attestation: 'direct',
        documentDomain: 'https://localhost',
        session_id: 'abc',
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'ok', user: { name: userName, displayName: userName } });
    });

    it('refuses registration options without a user name', async () => {
      expectFailure(await registrationOptions(server, { displayName: 'No Name' }), 'INVALID_REQUEST');
      expectFailure(
        await registrationOptions(server, { username: newUserName(), displayName: 'x', attestation: 'maybe' }),
        'INVALID_REQUEST',
      );
      const malformed = await server.post('/fido2/attestation/options', '{"username":');
      expectFailure(malformed, 'MALFORMED_BODY');
    });

    for (const entry of FORMATS) {
      it(`registers a ${entry.name} authenticator and signs in with it`, async () => {
        const device = await authenticator({
          format: entry.format,
          ...(entry.selfAttestation ? { selfAttestation: true } : {}),
        });
        const { userName, options, result } = await register(server, device);
        expect(result.status).toBe(200);
        expect(result.body).toMatchObject({
          status: 'ok',
          errorMessage: '',
          userHandle: options.user.id,
          fmt: entry.format,
          attestationType: entry.attestationType,
          trust: entry.trust,
          aaguid: entry.zeroAaguid ? ZERO_AAGUID : device.aaguid,
          metadata: { found: entry.metadata },
        });
        const credentialId = result.body.credentialId;
        expect(credentialId).toBe(device.credentials[0]!.id);
        // While simulator roots are trusted every registration is a warning, naming simulated authenticators.
        const logged = server.logs.find((line) => line.credentialId === credentialId && /registered/.test(line.msg));
        expect(logged).toMatchObject({ level: 40, fmt: entry.format, trust: entry.trust });
        expect(logged!.msg).toMatch(
          entry.trust === 'none' ? /while trustSimulatorRoots is on/ : /SIMULATED authenticator/,
        );

        const stored = await server.services.store.webauthnCredentials.get(credentialId);
        expect(stored).toMatchObject({
          userHandle: options.user.id,
          fmt: entry.format,
          aaguid: result.body.aaguid,
          attestationType: entry.attestationType,
          trust: entry.trust,
          counter: 0,
          transports: [...device.transports],
          attestation: { outcome: entry.outcome },
          metadata: { found: entry.metadata },
        });
        expect(stored!.lastUsedAt).toBeUndefined();

        const { options: getOptions, result: signedIn } = await signIn(server, device, userName);
        expect(getOptions).toMatchObject({
          status: 'ok',
          errorMessage: '',
          rpId: 'localhost',
          userVerification: 'preferred',
          timeout: 300_000,
          allowCredentials: [{ type: 'public-key', id: credentialId, transports: [...device.transports] }],
        });
        expect(signedIn.status).toBe(200);
        expect(signedIn.body).toMatchObject({
          status: 'ok',
          errorMessage: '',
          credentialId,
          userHandle: options.user.id,
          userName,
          counter: 1,
        });
        const used = await server.services.store.webauthnCredentials.get(credentialId);
        expect(used!.counter).toBe(1);
        expect(used!.lastUsedAt).toBeGreaterThan(0);
      });
    }

    it('signs in without a user name with a discoverable credential', async () => {
      const device = await authenticator({ format: 'packed' });
      const { userName, options, result } = await register(server, device, newUserName(), {
        authenticatorSelection: { residentKey: 'required' },
      });
      expect(result.status).toBe(200);
      for (const request of [{ username: '' }, {}]) {
        const getOptions = await authenticationOptions(server, { ...request, userVerification: 'required' });
        expect(getOptions.status).toBe(200);
        expect(getOptions.body).toMatchObject({ status: 'ok', allowCredentials: [], userVerification: 'required' });
        const assertion = getAssertion(server, device, getOptions.body);
        expect(assertion.response.userHandle).toBe(options.user.id);
        const signedIn = await server.post('/fido2/assertion/result', assertion);
        expect(signedIn.status).toBe(200);
        expect(signedIn.body).toMatchObject({ status: 'ok', userHandle: options.user.id, userName });
      }
    });

    it('counts ceremony results by outcome in /metrics', async () => {
      const count = async (ceremony: string, outcome: string) => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        const line = text
          .split('\n')
          .find((row) => row.startsWith(`keyward_fido2_ceremonies_total{ceremony="${ceremony}",outcome="${outcome}"}`));
        return line ? Number(line.split(' ').at(-1)) : 0;
      };
      const before = {
        registered: await count('registration', 'ok'),
        signedIn: await count('authentication', 'ok'),
        replayed: await count('authentication', 'CHALLENGE_USED'),
      };
      const device = await authenticator({ format: 'packed' });
      const { userName } = await register(server, device);
      const { response, result } = await signIn(server, device, userName);
      expect(result.status).toBe(200);
      expectFailure(await server.post('/fido2/assertion/result', response), 'CHALLENGE_USED');
      expect(await count('registration', 'ok')).toBe(before.registered + 1);
      expect(await count('authentication', 'ok')).toBe(before.signedIn + 1);
      expect(await count('authentication', 'CHALLENGE_USED')).toBe(before.replayed + 1);
    });

    it('records registrations and sign-ins in the decision log under the credential id', async () => {
      const device = await authenticator({ format: 'packed' });
      const { userName, result: registered } = await register(server, device);
      const { response, result } = await signIn(server, device, userName);
      expect(result.status).toBe(200);
      expectFailure(await server.post('/fido2/assertion/result', response), 'CHALLENGE_USED');
      const credentialId = registered.body.credentialId;
      const decisions = await decisionsAbout(server, { capability: 'fido2', subject: credentialId });
      expect(outcomes(decisions)).toEqual([
        ['authentication', 'rejected', 'CHALLENGE_USED'],
        ['authentication', 'accepted', ''],
        ['registration', 'accepted', ''],
      ]);
      expect(decisions.at(-1)).toMatchObject({
        platform: 'webauthn',
        requestId: expect.any(String),
        summary: { aaguid: device.aaguid, fmt: 'packed', attestationType: 'basic', trust: 'metadata' },
      });
      expect(decisions[1]).toMatchObject({ summary: { userName, counter: 1 } });
    });

    it('lists the user’s credentials as excludeCredentials and refuses one registered twice', async () => {
      const first = await authenticator({ format: 'none' });
      const { userName, result } = await register(server, first);
      const options = await registrationOptions(server, { username: userName, displayName: 'Test User' });
      expect(options.body.excludeCredentials).toEqual([
        { type: 'public-key', id: result.body.credentialId, transports: [...first.transports] },
      ]);
      // The authenticator itself refuses a registration its credential is excluded from…
      await expect(createCredential(server, first, options.body)).rejects.toThrow(/InvalidStateError/);
      // …and the server one that comes anyway: a none attestation signs nothing, so its response can be replayed into
      // another ceremony, for another user, with that ceremony's client data.
      const another = await registrationOptions(server, { username: newUserName(), displayName: 'Other' });
      const copy = await createCredential(server, await authenticator({ format: 'none' }), another.body);
      const { response: original } = await register(server, await authenticator({ format: 'none' }));
      const duplicate = {
        ...original,
        response: { ...original.response, clientDataJSON: copy.response.clientDataJSON },
      };
      expectFailure(await server.post('/fido2/attestation/result', duplicate), 'CREDENTIAL_ALREADY_REGISTERED');
      // A second authenticator for the same user is added.
      const second = await authenticator({ format: 'packed' });
      const added = await createCredential(server, second, options.body);
      expect((await server.post('/fido2/attestation/result', added)).status).toBe(200);
      const getOptions = await authenticationOptions(server, { username: userName });
      expect(getOptions.body.allowCredentials.map((descriptor: { id: string }) => descriptor.id)).toEqual([
        result.body.credentialId,
        added.id,
      ]);
    });

    it('refuses sign-in options for unknown users and users without credentials', async () => {
      expectFailure(await authenticationOptions(server, { username: newUserName('nobody') }), 'WEBAUTHN_USER_UNKNOWN');
      const userName = newUserName();
      await registrationOptions(server, { username: userName, displayName: 'Never Registered' });
      expectFailure(await authenticationOptions(server, { username: userName }), 'WEBAUTHN_NO_CREDENTIALS');
    });
  });
}
