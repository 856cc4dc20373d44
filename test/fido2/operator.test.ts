import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedAuthenticator } from '../../src/simulator/webauthn/authenticator.js';
import { skipWithoutPostgres } from '../helpers/backends.js';
import type { TestServer } from '../helpers/server.js';
import {
  API_KEY,
  authenticationOptions,
  authenticator,
  expectFailure,
  getAssertion,
  newUserName,
  operatorDelete,
  operatorGet,
  register,
  signIn,
  startFido2Server,
} from './helpers.js';

const BASE = '/admin/v1/fido2/credentials';

for (const backend of [
  { name: 'SQLite', database: 'sqlite' as const, skip: false },
  { name: 'PostgreSQL', database: 'postgres' as const, skip: skipWithoutPostgres },
]) {
  describe.skipIf(backend.skip)(`WebAuthn operator API on ${backend.name}`, () => {
    let server: TestServer;
    const alice = newUserName('alice');
    const bob = newUserName('bob');
    const registered: Record<
      string,
      { credentialId: string; aaguid: string; userHandle: string; device: SimulatedAuthenticator }
    > = {};
    beforeAll(async () => {
      // Alice gets two credentials (fido2.allowAdditionalCredentials defaults to false).
      server = await startFido2Server({ database: backend.database, fido2: { allowAdditionalCredentials: true } });
      for (const [name, userName, format] of [
        ['alice-packed', alice, 'packed'],
        ['alice-tpm', alice, 'tpm'],
        ['bob-packed', bob, 'packed'],
      ] as const) {
        const device = await authenticator({ format });
        const { result, options } = await register(server, device, userName);
        expect(result.status).toBe(200);
        registered[name] = {
          credentialId: result.body.credentialId,
          aaguid: result.body.aaguid,
          userHandle: options.user.id,
          device,
        };
        if (name === 'alice-packed') await signIn(server, device, alice);
      }
    });
    afterAll(async () => {
      await server?.close();
    });

    it('requires an operator API key', async () => {
      for (const authorization of ['', 'Bearer not-the-operator-key-at-all-000000', `Basic ${API_KEY}`]) {
        const listing = await operatorGet(server, BASE, authorization);
        expect(listing.status).toBe(401);
        expect(listing.body).toMatchObject({ error: 'UNAUTHORIZED', category: 'TRUST' });
        expect(
          (await operatorGet(server, `${BASE}/${registered['bob-packed']!.credentialId}`, authorization)).status,
        ).toBe(401);
        expect(
          (await operatorDelete(server, `${BASE}/${registered['bob-packed']!.credentialId}`, authorization)).status,
        ).toBe(401);
      }
      expect(await server.services.store.webauthnCredentials.get(registered['bob-packed']!.credentialId)).toBeDefined();
    });

    it('lists credentials newest first, by page, user name and AAGUID', async () => {
      const all = await operatorGet(server, BASE);
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ total: 3, offset: 0, limit: 100 });
      expect(all.body.credentials.map((credential: { credentialId: string }) => credential.credentialId)).toEqual([
        registered['bob-packed']!.credentialId,
        registered['alice-tpm']!.credentialId,
        registered['alice-packed']!.credentialId,
      ]);
      const page = await operatorGet(server, `${BASE}?limit=1&offset=1`);
      expect(page.body).toMatchObject({ total: 3, offset: 1, limit: 1 });
      expect(page.body.credentials.map((credential: { credentialId: string }) => credential.credentialId)).toEqual([
        registered['alice-tpm']!.credentialId,
      ]);
      const alices = await operatorGet(server, `${BASE}?userName=${encodeURIComponent(alice)}`);
      expect(alices.body.total).toBe(2);
      expect(alices.body.credentials.every((credential: { userName: string }) => credential.userName === alice)).toBe(
        true,
      );
      const packed = await operatorGet(server, `${BASE}?aaguid=${registered['alice-packed']!.aaguid}`);
      expect(packed.body.total).toBe(2);
      const none = await operatorGet(server, `${BASE}?userName=nobody`);
      expect(none.body).toMatchObject({ total: 0, credentials: [] });
      expect((await operatorGet(server, `${BASE}?aaguid=not-a-uuid`)).status).toBe(400);
      expect((await operatorGet(server, `${BASE}?limit=0`)).status).toBe(400);
    });

    it('shows one credential with its attestation outcome, metadata status and use', async () => {
      const { credentialId, userHandle, aaguid } = registered['alice-packed']!;
      const shown = await operatorGet(server, `${BASE}/${credentialId}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({
        credentialId,
        userHandle,
        userName: alice,
        aaguid,
        fmt: 'packed',
        attestationType: 'basic',
        trust: 'metadata',
        counter: 1,
        alg: -7,
        transports: ['usb'],
        attestation: { outcome: 'trusted' },
        metadata: { found: true, description: 'Keyward simulator packed', statuses: [] },
        userVerified: true,
        backupEligible: false,
        backedUp: false,
      });
      expect(shown.body.publicKey).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Date.parse(shown.body.createdAt)).toBeGreaterThan(0);
      expect(Date.parse(shown.body.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(shown.body.createdAt));
      expect(shown.body.possiblyClonedAt).toBeUndefined();
      const missing = await operatorGet(server, `${BASE}/AAAAAAAAAAAAAAAAAAAAAA`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: 'CREDENTIAL_NOT_FOUND' });
    });

    it('deletes a credential, which can then no longer sign in', async () => {
      const { credentialId, device } = registered['bob-packed']!;
      const options = await authenticationOptions(server, { username: bob });
      expect(options.status).toBe(200);
      const deleted = await operatorDelete(server, `${BASE}/${credentialId}`);
      expect(deleted.status).toBe(204);
      expect(server.logs.some((line) => line.credentialId === credentialId && /deleted/.test(String(line.msg)))).toBe(
        true,
      );
      expect((await operatorGet(server, `${BASE}/${credentialId}`)).status).toBe(404);
      expect((await operatorDelete(server, `${BASE}/${credentialId}`)).status).toBe(404);
      // The sign-in started before the deletion is refused.
      const assertion = getAssertion(server, device, options.body);
      expectFailure(await server.post('/fido2/assertion/result', assertion), 'CREDENTIAL_UNKNOWN');
      expectFailure(await authenticationOptions(server, { username: bob }), 'WEBAUTHN_NO_CREDENTIALS');
    });
  });
}

describe('WebAuthn operator API without admin.apiKeys', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startFido2Server({ options: { admin: { apiKeys: [] } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is not served', async () => {
    expect((await operatorGet(server, BASE)).status).toBe(404);
  });
});
