import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import type { WardenSuccess } from '../../src/features/warden/schemas.js';
import { WardenService, type WardenDependencies } from '../../src/features/warden/warden-service.js';
import { buildProof, runWardenFlow } from '../../src/simulator/warden-client.js';
import { SERVER_BACKENDS } from '../helpers/backends.js';
import { decisionsOf } from '../helpers/decisions.js';
import type { TestServer } from '../helpers/server.js';
import {
  androidProofWithSubject,
  assertChainVerifies,
  nonceHex,
  openssl,
  simulatedDevices,
  startWardenServer,
  type Devices,
} from './helpers.js';

const failure = (result: { status: number; response: unknown }) => ({
  status: result.status,
  ...(result.response as object),
});

const CN = '2.5.4.3';
const O = '2.5.4.10';
const SERIAL_NUMBER = '2.5.4.5';
/** A replayed nonce, or one issued for another policy: Warden's "nonce binding absent or incorrect". */
const USED = {
  status: 400,
  type: 'Failure',
  kind: 'CONTENT',
  explanation: 'The nonce binding is absent or incorrect.',
};

/** The leaf of a Success response (its chain checked), and the issuance the server recorded for it. */
async function issuedLeaf(server: TestServer, result: { status: number; response: unknown }) {
  expect(result.status).toBe(200);
  const [leaf] = assertChainVerifies((result.response as WardenSuccess).certificateChain);
  const thumbprint = createHash('sha256')
    .update(leaf!.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  const [record] = await server.services.store.bindingCertificates.list({ limit: 1, keyThumbprint: thumbprint });
  return { leaf: leaf!, record: record! };
}

async function getChallenge(server: TestServer, policy?: string) {
  const response = await fetch(`${server.url}/api/v1/${policy ? `${policy}/` : ''}challenge`);
  return { status: response.status, body: (await response.json()) as any };
}

async function post(url: string, body: Uint8Array, contentType = 'application/octet-stream') {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, response: (await response.json()) as any };
}

for (const backend of SERVER_BACKENDS) {
  describe.skipIf(backend.skip)(`Warden attestation over HTTP on ${backend.name}`, () => {
    let server: TestServer;
    let devices: Devices;
    beforeAll(async () => {
      server = await startWardenServer({
        database: backend.database,
        redis: backend.redis,
        options: { warden: { policies: { strongbox: { android: { requireStrongBox: true } } } } },
      });
      devices = await simulatedDevices();
    });
    afterAll(async () => {
      await server?.close();
    });

    it('issues the version-2 Challenge with exactly Warden’s fields', async () => {
      const { status, body } = await getChallenge(server);
      expect(status).toBe(200);
      expect(Object.keys(body)).toEqual([
        'issuedAt',
        'validity',
        'timeZone',
        'nonce',
        'attestationEndpoint',
        'proofOID',
        'genericDeviceNameOID',
        'version',
        'keyConstraints',
        'additionalPayload',
        'dataAuth',
      ]);
      expect(Buffer.from(body.nonce, 'base64url')).toHaveLength(64);
      expect(body).toMatchObject({
        version: 2,
        attestationEndpoint: `${server.url}/api/v1/attest`,
        proofOID: '2.25.84909157162398755923739785575458177302',
        genericDeviceNameOID: '2.25.161066711659881035499644753588417948207',
        dataAuth: { type: 'SIGNATURE' },
        timeZone: null,
        additionalPayload: null,
        keyConstraints: { algorithmParameters: { type: 'EC', curve: 'P-256' } },
      });
      // issuedAt lies five minutes back; issuedAt + validity is when the server stops accepting the nonce (600 s after issue).
      expect(body.issuedAt).toBeLessThan(Date.now() - 299_000);
      expect(body.issuedAt + body.validity * 1000 - (Date.now() + 600_000)).toBeLessThan(5000);
      expect((await getChallenge(server, 'strongbox')).body.attestationEndpoint).toBe(
        `${server.url}/api/v1/strongbox/attest`,
      );
      expect((await getChallenge(server, 'nonexistent')).status).toBe(404);
    });

    for (const platform of ['android', 'ios'] as const) {
      it(`issues a binding certificate chain for a simulated ${platform} device that verifies to the root`, async () => {
        const result = await runWardenFlow(server.url, devices[platform], { deviceName: `Simulated ${platform}` });
        expect(result.status).toBe(200);
        const response = result.response as WardenSuccess;
        expect(response.type).toBe('Success');
        expect(response.certificateChain).toHaveLength(3);
        const [leaf] = assertChainVerifies(response.certificateChain);
        const requested = createPublicKey(result.privateKey).export({ type: 'spki', format: 'der' });
        expect(leaf!.publicKey.export({ type: 'spki', format: 'der' }).equals(requested)).toBe(true);
        expect(leaf!.subject).toContain(
          `serialNumber=${Buffer.from(result.challenge.nonce, 'base64url').toString('hex').toUpperCase()}`,
        );
        expect(leaf!.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
        expect(leaf!.ca).toBe(false);
        expect(Buffer.from(leaf!.serialNumber, 'hex').length).toBeGreaterThanOrEqual(16);
        const validDays = (Date.parse(leaf!.validTo) - Date.parse(leaf!.validFrom)) / 86_400_000;
        expect(validDays).toBe(30);
        const thumbprint = createHash('sha256')
          .update(createPublicKey(result.privateKey).export({ type: 'spki', format: 'der' }))
          .digest('hex');
        const [record] = await server.services.store.bindingCertificates.list({ limit: 1, keyThumbprint: thumbprint });
        expect(record).toMatchObject({
          serial: leaf!.serialNumber.toLowerCase(),
          platform: platform === 'ios' ? 'apple' : 'android',
          policy: 'default',
        });
        expect(record!.summary.deviceName).toBe(`Simulated ${platform}`);
      });
    }

    it('refuses a replayed nonce', async () => {
      const { body: challenge } = await getChallenge(server);
      const proof = await buildProof(challenge, devices.android);
      expect((await post(challenge.attestationEndpoint, proof.body)).status).toBe(200);
      expect(failure(await post(challenge.attestationEndpoint, proof.body))).toMatchObject(USED);
    });

    it('records each attestation in the decision log: the issuance with its device facts, a refusal with its kind and code', async () => {
      const { body: challenge } = await getChallenge(server);
      const proof = await buildProof(challenge, devices.android);
      const send = (requestId: string) =>
        fetch(challenge.attestationEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', 'x-request-id': requestId },
          body: proof.body,
        });
      const issued = await send('warden-decision-issued');
      const { record } = await issuedLeaf(server, { status: issued.status, response: await issued.json() });
      expect((await send('warden-decision-replayed')).status).toBe(400);
      expect(await decisionsOf(server, 'warden-decision-issued')).toEqual([
        expect.objectContaining({
          capability: 'warden',
          operation: 'attest',
          platform: 'android',
          outcome: 'accepted',
          subject: record.serial,
          summary: expect.objectContaining({
            policy: 'default',
            securityLevel: record.summary.securityLevel,
            osPatchLevel: record.summary.osPatchLevel,
            keyThumbprint: record.keyThumbprint,
          }),
        }),
      ]);
      expect(await decisionsOf(server, 'warden-decision-replayed')).toEqual([
        expect.objectContaining({
          platform: '',
          outcome: 'rejected',
          category: 'CONTENT',
          code: 'CHALLENGE_USED',
          summary: { policy: 'default' },
        }),
      ]);
    });

    it('accepts the nonce in lowercase hex in the subject, as Warden compares it without regard to case', async () => {
      const { body: challenge } = await getChallenge(server);
      const device = devices.android.device as Extract<typeof devices.android, { platform: 'android' }>['device'];
      const lower = nonceHex(challenge).toLowerCase();
      const issued = await post(
        challenge.attestationEndpoint,
        await androidProofWithSubject(challenge, device, [[SERIAL_NUMBER, lower]]),
      );
      expect((await issuedLeaf(server, issued)).leaf.subject).toBe(`serialNumber=${nonceHex(challenge)}`);
    });

    it('does not let bad proofs carrying a seen nonce burn it: the device’s own proof still gets its certificate, later proofs with it do not', async () => {
      const { body: challenge } = await getChallenge(server);
      const { body: other } = await getChallenge(server);
      // A third party who saw the nonce posts proofs with it before the device does.
      const attempts = [
        {
          proof: await buildProof(challenge, devices.android, { otherKey: true }),
          refused: { status: 403, kind: 'TRUST', explanation: 'The request is not for the attested key.' },
        },
        {
          proof: await buildProof(challenge, devices.ios, { badSignature: true }),
          refused: { status: 403, kind: 'TRUST', explanation: 'The request is not signed by the attested key.' },
        },
        {
          proof: await buildProof(challenge, devices.android, { proofCopies: 0 }),
          refused: { status: 400, kind: 'CONTENT', explanation: 'The request carries no attestation proof attribute.' },
        },
        // The nonce in the subject, but an attestation of another challenge.
        {
          proof: await buildProof(other, devices.android, { subjectNonce: Buffer.from(challenge.nonce, 'base64url') }),
          refused: { status: 400, kind: 'CONTENT', explanation: 'The attestation was not made for this challenge.' },
        },
      ];
      for (const { proof, refused } of attempts)
        expect(failure(await post(challenge.attestationEndpoint, proof.body))).toMatchObject({
          type: 'Failure',
          ...refused,
        });

      const proof = await buildProof(challenge, devices.android);
      const issued = await post(challenge.attestationEndpoint, proof.body);
      expect(issued.response.type).toBe('Success');
      expect((await issuedLeaf(server, issued)).leaf.subject).toContain(`serialNumber=${nonceHex(challenge)}`);
      // After the issuance the nonce is spent: a replay, another valid proof and a bad proof with it are all refused as used.
      expect(failure(await post(challenge.attestationEndpoint, proof.body))).toMatchObject(USED);
      expect(
        failure(await post(challenge.attestationEndpoint, (await buildProof(challenge, devices.ios)).body)),
      ).toMatchObject(USED);
      expect(
        failure(
          await post(
            challenge.attestationEndpoint,
            (await buildProof(challenge, devices.android, { badSignature: true })).body,
          ),
        ),
      ).toMatchObject(USED);
      // The other challenge was not burned by the proof that named it only in its attestation.
      expect((await post(other.attestationEndpoint, (await buildProof(other, devices.ios)).body)).response.type).toBe(
        'Success',
      );
    });

    it('issues exactly one certificate for 200 concurrent submissions of one proof, bad proofs with its nonce racing them', async () => {
      const { body: challenge } = await getChallenge(server);
      const proof = await buildProof(challenge, devices.android);
      const bad = await buildProof(challenge, devices.android, { badSignature: true });
      const results = await Promise.all([
        ...Array.from({ length: 200 }, () => post(challenge.attestationEndpoint, proof.body)),
        ...Array.from({ length: 20 }, () => post(challenge.attestationEndpoint, bad.body)),
      ]);
      expect(results.filter((result) => result.status === 200)).toHaveLength(1);
      expect(results.slice(0, 200).filter((result) => result.response.explanation === USED.explanation)).toHaveLength(
        199,
      );
      // A bad proof is refused for its signature, or, once the good one spent the nonce, for the nonce.
      for (const result of results.slice(200))
        expect(failure(result)).toMatchObject(
          result.response.kind === 'CONTENT'
            ? USED
            : { status: 403, kind: 'TRUST', explanation: 'The request is not signed by the attested key.' },
        );
    });

    it('gives the certificate its own subject by default: the device name as CN (cut to 64) and the nonce, nothing else of the CSR’s', async () => {
      const { body: challenge } = await getChallenge(server);
      const hex = nonceHex(challenge);
      const device = devices.android.device as Extract<typeof devices.android, { platform: 'android' }>['device'];
      const csrSubject: [string, string][] = [
        [CN, 'Bank of Example'],
        [O, 'Evil'],
        [SERIAL_NUMBER, hex],
      ];
      const named = await issuedLeaf(
        server,
        await post(
          challenge.attestationEndpoint,
          await androidProofWithSubject(challenge, device, csrSubject, 'Pixel of Ada'),
        ),
      );
      expect(named.leaf.subject).toBe(`CN=Pixel of Ada\nserialNumber=${hex}`);
      expect(named.record.subject).toBe(`CN=Pixel of Ada, serialNumber=${hex}`);

      const { body: unnamedChallenge } = await getChallenge(server);
      const unnamedHex = nonceHex(unnamedChallenge);
      const unnamed = await issuedLeaf(
        server,
        await post(
          unnamedChallenge.attestationEndpoint,
          await androidProofWithSubject(unnamedChallenge, device, [
            [O, 'Evil'],
            [SERIAL_NUMBER, unnamedHex],
          ]),
        ),
      );
      expect(unnamed.leaf.subject).toBe(`serialNumber=${unnamedHex}`);
      expect(unnamed.record.summary.deviceName).toBeUndefined();

      const { body: longChallenge } = await getChallenge(server);
      const longName = `Ada’s ${'very '.repeat(30)}long phone`;
      const long = await issuedLeaf(
        server,
        await post(
          longChallenge.attestationEndpoint,
          await androidProofWithSubject(longChallenge, device, [[SERIAL_NUMBER, nonceHex(longChallenge)]], longName),
        ),
      );
      expect(long.leaf.subject).toBe(`CN=${longName.slice(0, 64)}\nserialNumber=${nonceHex(longChallenge)}`);
      expect(long.record.summary.deviceName).toBe(longName);
    });

    it('refuses a nonce in the subject that is not the challenge’s', async () => {
      const result = await runWardenFlow(server.url, devices.android, { subjectNonce: Buffer.alloc(64, 7) });
      expect(failure(result)).toMatchObject({ status: 400, type: 'Failure', kind: 'CONTENT' });
      expect((result.response as any).explanation).toMatch(/not one this server issued/);
    });

    it('refuses a missing and a duplicated proof attribute', async () => {
      expect(failure(await runWardenFlow(server.url, devices.android, { proofCopies: 0 }))).toMatchObject({
        status: 400,
        kind: 'CONTENT',
        explanation: 'The request carries no attestation proof attribute.',
      });
      expect(failure(await runWardenFlow(server.url, devices.android, { proofCopies: 2 }))).toMatchObject({
        status: 400,
        kind: 'CONTENT',
        explanation: 'A request attribute appears more than once.',
      });
    });

    it('refuses a request for another key than the attested one, and a bad CSR signature', async () => {
      for (const platform of ['android', 'ios'] as const) {
        expect(failure(await runWardenFlow(server.url, devices[platform], { otherKey: true }))).toMatchObject({
          status: 403,
          kind: 'TRUST',
          explanation: 'The request is not for the attested key.',
        });
        expect(failure(await runWardenFlow(server.url, devices[platform], { badSignature: true }))).toMatchObject({
          status: 403,
          kind: 'TRUST',
          explanation: 'The request is not signed by the attested key.',
        });
      }
    });

    it('applies a named policy’s device requirements (a TEE key where StrongBox is required)', async () => {
      expect(failure(await runWardenFlow(server.url, devices.android, { policy: 'strongbox' }))).toMatchObject({
        status: 403,
        kind: 'TRUST',
        explanation: 'The key must be protected by StrongBox.',
      });
    });

    it('refuses a nonce issued for another policy', async () => {
      const { body: challenge } = await getChallenge(server, 'strongbox');
      const proof = await buildProof(challenge, devices.android);
      expect(failure(await post(`${server.url}/api/v1/attest`, proof.body))).toMatchObject(USED);
    });

    it('refuses a nonce of its purpose issued without the policy binding (no unbound wildcard)', async () => {
      const { body: challenge } = await getChallenge(server);
      const unbound = await server.services.challenges.issue('warden', { bytes: 64 });
      const proof = await buildProof({ ...challenge, nonce: unbound.value.toString('base64url') }, devices.android);
      expect(failure(await post(challenge.attestationEndpoint, proof.body))).toMatchObject(USED);
    });

    it('answers garbage, empty, oversize and wrongly typed bodies with a Failure', async () => {
      expect(failure(await post(`${server.url}/api/v1/attest`, Buffer.from('not a csr')))).toMatchObject({
        status: 400,
        type: 'Failure',
        kind: 'CONTENT',
      });
      expect(failure(await post(`${server.url}/api/v1/attest`, Buffer.alloc(0)))).toMatchObject({
        status: 400,
        kind: 'CONTENT',
      });
      expect(failure(await post(`${server.url}/api/v1/attest`, Buffer.alloc(300_000, 0x30)))).toMatchObject({
        status: 413,
        kind: 'CONTENT',
      });
      expect(failure(await post(`${server.url}/api/v1/attest`, Buffer.from('{}'), 'application/json'))).toMatchObject({
        status: 415,
        kind: 'CONTENT',
      });
    });

    it('accepts the request as PEM too', async () => {
      const { body: challenge } = await getChallenge(server);
      const proof = await buildProof(challenge, devices.ios);
      const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${proof.body.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;
      expect(
        (await post(challenge.attestationEndpoint, Buffer.from(pem), 'application/x-pem-file')).response.type,
      ).toBe('Success');
    });
  });
}

describe('Warden failures that need their own server', () => {
  it('answers an expired challenge with TIME', async () => {
    const clock = new FixedClock(Date.now());
    const server = await startWardenServer({ clock });
    try {
      const devices = await simulatedDevices();
      const { body: challenge } = await getChallenge(server);
      const proof = await buildProof(challenge, devices.android);
      clock.advance(600_001);
      expect(failure(await post(challenge.attestationEndpoint, proof.body))).toMatchObject({
        status: 400,
        kind: 'TIME',
        explanation: 'The challenge has expired; request a new one.',
      });
    } finally {
      await server.close();
    }
  });

  it('refuses chains from roots it does not trust (simulator roots without --trust-simulator-roots)', async () => {
    const server = await startWardenServer({ options: { trustSimulatorRoots: false } });
    try {
      const devices = await simulatedDevices();
      for (const platform of ['android', 'ios'] as const) {
        expect(failure(await runWardenFlow(server.url, devices[platform]))).toMatchObject({
          status: 403,
          kind: 'TRUST',
          explanation: 'The certificate chain does not lead to a trusted root.',
        });
      }
    } finally {
      await server.close();
    }
  });

  it('copies the CSR subject, extra RDNs and all, only with warden.certificate.copyCsrSubject', async () => {
    const server = await startWardenServer({ options: { warden: { certificate: { copyCsrSubject: true } } } });
    try {
      const devices = await simulatedDevices();
      const device = devices.android.device as Extract<typeof devices.android, { platform: 'android' }>['device'];
      const { body: challenge } = await getChallenge(server);
      const hex = nonceHex(challenge);
      const proof = await androidProofWithSubject(
        challenge,
        device,
        [
          [CN, 'Bank of Example'],
          [O, 'Evil'],
          [SERIAL_NUMBER, hex],
        ],
        'Pixel of Ada',
      );
      const { leaf, record } = await issuedLeaf(server, await post(challenge.attestationEndpoint, proof));
      expect(leaf.subject).toBe(`CN=Bank of Example\nO=Evil\nserialNumber=${hex}`);
      expect(record.subject).toBe(`CN=Bank of Example, O=Evil, serialNumber=${hex}`);
    } finally {
      await server.close();
    }
  });

  it('fills a configured subject template, and refuses copyCsrSubject next to a template at start', async () => {
    const server = await startWardenServer({
      options: {
        warden: {
          certificate: { subject: 'CN=Attested {platform}: {deviceName}, O=Example Health, serialNumber={nonce}' },
        },
      },
    });
    try {
      const devices = await simulatedDevices();
      const result = await runWardenFlow(server.url, devices.ios, { deviceName: 'Ada’s iPhone' });
      const { leaf } = await issuedLeaf(server, result);
      expect(leaf.subject).toBe(
        `CN=Attested apple: Ada’s iPhone\nO=Example Health\nserialNumber=${nonceHex(result.challenge)}`,
      );
    } finally {
      await server.close();
    }
    const both = loadConfig({ env: {}, flags: { warden: { certificate: { subject: 'CN=x', copyCsrSubject: true } } } })
      .config.warden;
    // The service checks its configuration before it uses any other dependency.
    expect(() => new WardenService({ config: both } as WardenDependencies)).toThrow(
      new ConfigError(
        'invalid configuration: warden.certificate.copyCsrSubject and warden.certificate.subject exclude each other',
      ),
    );
  });

  it('answers Failures with HTTP 200 when configured for deployed Warden Supreme clients', async () => {
    const server = await startWardenServer({ options: { warden: { failuresAsHttp200: true } } });
    try {
      expect(failure(await post(`${server.url}/api/v1/attest`, Buffer.from('garbage')))).toMatchObject({
        status: 200,
        type: 'Failure',
        kind: 'CONTENT',
      });
    } finally {
      await server.close();
    }
  });

  it('runs HASH mode: an unsigned request whose digest the attestation carries, canonical binding enforced', async () => {
    const server = await startWardenServer({ options: { warden: { dataAuth: 'HASH-SHA256' } } });
    try {
      const devices = await simulatedDevices();
      const { body: challenge } = await getChallenge(server);
      expect(challenge).toMatchObject({ version: 3, dataAuth: { type: 'HASH', algorithm: 'SHA256' } });
      for (const platform of ['android', 'ios'] as const) {
        const result = await runWardenFlow(server.url, devices[platform], { deviceName: 'Hash mode' });
        expect((result.response as any).type).toBe('Success');
        assertChainVerifies((result.response as WardenSuccess).certificateChain);
      }
      // A signed CSR where the challenge asked for HASH.
      const signedServer = await startWardenServer();
      try {
        const { body: signedChallenge } = await getChallenge(signedServer);
        const signed = await buildProof(signedChallenge, devices.android);
        const hashed = await buildProof(challenge, devices.android);
        expect(failure(await post(challenge.attestationEndpoint, signed.body))).toMatchObject({ kind: 'CONTENT' }); // another server's nonce
        expect(failure(await post(signedChallenge.attestationEndpoint, hashed.body))).toMatchObject({
          kind: 'CONTENT',
        });
      } finally {
        await signedServer.close();
      }
      // This server's nonce, but a signed request where the challenge asked for HASH.
      const { body: third } = await getChallenge(server);
      const signedForHash = await buildProof(
        { ...third, version: 2, dataAuth: { type: 'SIGNATURE' } },
        devices.android,
      );
      expect(failure(await post(third.attestationEndpoint, signedForHash.body))).toMatchObject({
        status: 403,
        kind: 'TRUST',
        explanation: 'The request does not authenticate its data the way the challenge asked.',
      });
      // The device name is bound: changing it after attestation breaks the binding.
      const { body: second } = await getChallenge(server);
      const proof = await buildProof(second, devices.android, { deviceName: 'Original' });
      const tampered = Buffer.from(proof.body.toString('latin1').replace('Original', 'Tampered'), 'latin1');
      expect(failure(await post(second.attestationEndpoint, tampered))).toMatchObject({ status: 400, kind: 'CONTENT' });
    } finally {
      await server.close();
    }
  });

  it('revokes through the operator API and lists the serial on the CRL', async () => {
    const apiKey = 'operator-key-0123456789abcdef';
    const server = await startWardenServer({ options: { admin: { apiKeys: [apiKey] } } });
    try {
      const devices = await simulatedDevices();
      const result = await runWardenFlow(server.url, devices.android);
      const serial = assertChainVerifies(
        (result.response as WardenSuccess).certificateChain,
      )[0]!.serialNumber.toLowerCase();
      const revoke = (key: string) =>
        fetch(`${server.url}/admin/v1/binding-certificates/${serial}/revoke`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: '{"reason":"keyCompromise"}',
        });
      expect((await revoke('wrong-key-0123456789abcdefgh')).status).toBe(401);
      const revoked = await revoke(apiKey);
      expect(revoked.status).toBe(200);
      expect(await revoked.json()).toMatchObject({ serial, revocationReason: 'keyCompromise' });
      expect((await revoke(apiKey)).status).toBe(409);
      const crl = Buffer.from(await (await fetch(`${server.url}/api/v1/crl`)).arrayBuffer());
      expect(crl.includes(Buffer.from(serial, 'hex'))).toBe(true);
      const intermediate = new X509Certificate(
        Buffer.from((result.response as WardenSuccess).certificateChain[1]!, 'base64url'),
      );
      const text = openssl(['crl', '-inform', 'DER', '-in', '@crl.der', '-CAfile', '@ca.pem', '-noout', '-text'], {
        'crl.der': crl,
        'ca.pem': intermediate.toString(),
      });
      expect(text).toContain(serial.toUpperCase());
      const list = await (
        await fetch(`${server.url}/admin/v1/binding-certificates?limit=5`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).json();
      expect((list as any).certificates[0]).toMatchObject({ serial, revokedAt: expect.any(String) });
    } finally {
      await server.close();
    }
  });

  it('publishes the JSON Schemas and the routes in the OpenAPI document', async () => {
    const server = await startWardenServer();
    try {
      const challengeSchema: any = await (await fetch(`${server.url}/schemas/warden-challenge.json`)).json();
      expect(challengeSchema.properties.nonce).toBeDefined();
      expect(challengeSchema.required).toEqual(
        expect.arrayContaining(['issuedAt', 'nonce', 'attestationEndpoint', 'dataAuth']),
      );
      const responseSchema: any = await (await fetch(`${server.url}/schemas/warden-attestation-response.json`)).json();
      expect(responseSchema.anyOf).toHaveLength(2);
      const openapi: any = await (await fetch(`${server.url}/openapi.json`)).json();
      expect(Object.keys(openapi.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/challenge',
          '/api/v1/attest',
          '/api/v1/{policy}/challenge',
          '/api/v1/{policy}/attest',
          '/api/v1/crl',
        ]),
      );
    } finally {
      await server.close();
    }
  });
});
