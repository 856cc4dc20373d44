import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load.js';
import type { TestServer } from '../helpers/server.js';
import {
  authenticator,
  createCredential,
  expectFailure,
  newUserName,
  register,
  registrationOptions,
  startFido2Server,
} from './helpers.js';

describe('fido2 configuration', () => {
  describe('a relying party with its own RP ID, origins and defaults', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startFido2Server({
        fido2: {
          rpId: 'example.com',
          rpName: 'Example',
          origins: ['https://login.example.com'],
          attestation: 'none',
          userVerification: 'required',
          residentKey: 'required',
          algorithms: [-7, -65535],
          allowAdditionalCredentials: false,
        },
      });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('issues options with them', async () => {
      const options = await registrationOptions(server, { username: newUserName(), displayName: 'x' });
      expect(options.body).toMatchObject({
        rp: { id: 'example.com', name: 'Example' },
        attestation: 'none',
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
        pubKeyCredParams: [
          { type: 'public-key', alg: -7 },
          { type: 'public-key', alg: -65535 },
        ],
      });
    });

    it('accepts responses from its origin only, verified users only, offered algorithms only', async () => {
      const device = await authenticator({ format: 'packed' });
      const options = await registrationOptions(server, { username: newUserName(), displayName: 'x' });
      const origin = 'https://login.example.com';
      expectFailure(
        await server.post(
          '/fido2/attestation/result',
          await createCredential(server, device, options.body, { origin, userVerified: false }),
        ),
        'USER_VERIFICATION_MISSING',
      );
      // An authenticator that ignores the offered algorithms.
      const rsa = await authenticator({ format: 'packed', algorithm: 'RS256' });
      expectFailure(
        await server.post(
          '/fido2/attestation/result',
          await createCredential(server, rsa, options.body, { origin, algorithms: undefined }),
        ),
        'COSE_ALGORITHM_NOT_ALLOWED',
      );
      expectFailure(
        await server.post('/fido2/attestation/result', await createCredential(server, device, options.body)),
        'ORIGIN_MISMATCH',
      );
      const registered = await server.post(
        '/fido2/attestation/result',
        await createCredential(server, device, options.body, { origin }),
      );
      expect(registered.status).toBe(200);
    });

    it('registers no further credentials for a user name that has one when allowAdditionalCredentials is off', async () => {
      const userName = newUserName();
      const origin = 'https://login.example.com';
      const first = await registrationOptions(server, { username: userName, displayName: 'x' });
      const second = await registrationOptions(server, { username: userName, displayName: 'x' });
      const device = await authenticator({ format: 'packed' });
      const registered = await server.post(
        '/fido2/attestation/result',
        await createCredential(server, device, first.body, { origin }),
      );
      expect(registered.status).toBe(200);
      // Options issued before the first registration completed, and options asked for since, are refused.
      const other = await authenticator({ format: 'packed' });
      expectFailure(
        await server.post('/fido2/attestation/result', await createCredential(server, other, second.body, { origin })),
        'ADDITIONAL_CREDENTIAL_REFUSED',
      );
      expectFailure(
        await registrationOptions(server, { username: userName, displayName: 'x' }),
        'ADDITIONAL_CREDENTIAL_REFUSED',
      );
    });
  });

  it('derives the relying party from publicBaseUrl', async () => {
    const server = await startFido2Server({ options: { publicBaseUrl: 'https://keyward.example:8443/base' } });
    try {
      const options = await registrationOptions(server, { username: newUserName(), displayName: 'x' });
      expect(options.body.rp.id).toBe('keyward.example');
      const device = await authenticator({ format: 'none' });
      const response = await createCredential(server, device, options.body, { origin: 'https://keyward.example:8443' });
      expect((await server.post('/fido2/attestation/result', response)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers framework refusals under /fido2/ as failed ServerResponses, keeping HTTP-level statuses', async () => {
    const server = await startFido2Server({ options: { bodyLimitBytes: 1024 } });
    try {
      const unknown = await server.post('/fido2/attestation/unknown', {});
      expectFailure(unknown, 'NOT_FOUND', 404);
      expectFailure(
        await server.post('/fido2/attestation/options', { username: 'x'.repeat(2000), displayName: 'x' }),
        'BODY_TOO_LARGE',
        413,
      );
      expectFailure(
        await server.post('/fido2/assertion/options', 'username=x', {
          'content-type': 'application/x-www-form-urlencoded',
        }),
        'UNSUPPORTED_MEDIA_TYPE',
        415,
      );
      // Elsewhere Keyward's own error body.
      const elsewhere = await server.post('/no/such/route', {});
      expect(elsewhere.body).toMatchObject({ error: 'NOT_FOUND' });
    } finally {
      await server.close();
    }
  });

  it('serves nothing when disabled', async () => {
    const server = await startFido2Server({ fido2: { enabled: false } });
    try {
      expect(server.services.fido2).toBeUndefined();
      const reply = await server.post('/fido2/attestation/options', { username: 'x', displayName: 'x' });
      expect(reply.status).toBe(404);
      expect(reply.body).toMatchObject({ error: 'NOT_FOUND' });
    } finally {
      await server.close();
    }
  });

  it('takes the deprecated skipValidateMdsInAttestationEnabled as monitor mode, with a warning', async () => {
    const server = await startFido2Server({ fido2: { skipValidateMdsInAttestationEnabled: true } });
    try {
      expect(
        server.logs.some(
          (line) => line.level === 40 && /skipValidateMdsInAttestationEnabled is deprecated/.test(String(line.msg)),
        ),
      ).toBe(true);
      // Monitor: a chain nobody trusts registers, with trust none.
      const { result } = await register(server, await authenticator({ format: 'packed', roots: 'generated' }));
      expect(result.status).toBe(200);
      expect(result.body.trust).toBe('none');
    } finally {
      await server.close();
    }
    await expect(
      startFido2Server({ fido2: { skipValidateMdsInAttestationEnabled: true, attestationMode: 'enforced' } }),
    ).rejects.toThrow(/skipValidateMdsInAttestationEnabled/);
  });

  it('refuses unknown algorithms, IP addresses as RP IDs and origins off the RP ID at start', async () => {
    expect(() => loadConfig({ flags: { 'fido2.algorithms': [-7, -999] } })).toThrow(ConfigError);
    await expect(startFido2Server({ fido2: { rpId: '10.1.2.3' } })).rejects.toThrow(ConfigError);
    await expect(
      startFido2Server({ fido2: { rpId: 'example.com', origins: ['https://example.org'] } }),
    ).rejects.toThrow(/fido2\.origins/);
    const defaults = loadConfig({}).config.fido2;
    expect(defaults).toMatchObject({
      enabled: true,
      rpId: '',
      origins: [],
      attestation: 'direct',
      userVerification: 'preferred',
      residentKey: 'preferred',
      attestationMode: 'monitor',
      androidPolicy: false,
      safetynet: { requireCtsProfileMatch: true },
    });
    expect(defaults.algorithms).not.toContain(-65535);
    expect([...defaults.algorithms].sort()).toEqual([-7, -35, -36, -257, -258, -259, -37, -38, -39, -8].sort());
  });
});
