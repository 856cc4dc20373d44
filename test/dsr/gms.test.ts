import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import { keysFromJwks } from '../../src/crypto/jose/es256-keys.js';
import { signBrainpoolJws } from '../../src/crypto/jose/brainpool-jws.js';
import { certificatePem } from '../../src/crypto/x509/certificate.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
} from '../../src/crypto/x509/certificate-builder.js';
import { verifyDeviceToken } from '../../src/features/dsr/device-token.js';
import { s256Challenge } from '../../src/features/dsr/pkce.js';
import { AndroidDeviceSimulator } from '../../src/simulator/android/device.js';
import {
  type AndroidAttestationVariant,
  type AndroidRegistrationVariant,
  SimulatedDsrAndroidDevice,
} from '../../src/simulator/dsr/android-device.js';
import {
  type GmsAnswer,
  type GmsDevice,
  GmsClient,
  pinnedServerCertificate,
} from '../../src/simulator/dsr/gms-client.js';
import { SimulatedHealthCard } from '../../src/simulator/dsr/health-card.js';
import {
  type IosAttestationVariant,
  type IosRegistrationVariant,
  SimulatedDsrIosDevice,
} from '../../src/simulator/dsr/ios-device.js';
import { SERVER_BACKENDS } from '../helpers/backends.js';
import { testCardPki, virtualCard } from '../helpers/dsr-card.js';
import { decisionsAbout, outcomes } from '../helpers/decisions.js';
import { startSimulatorServer, type TestServer } from '../helpers/server.js';
import { vectorPath } from '../helpers/vectors.js';

/**
 * DSR GMS end to end (RFC-01 registration, RFC-02 attestation and token) against a real server
 * trusting the simulator roots, on SQLite and on PostgreSQL with Redis: both platforms, the
 * device token's claims and cnf binding, and each refusal from a realistic cause.
 */

type Platform = 'android' | 'ios';
type Device = SimulatedDsrAndroidDevice | SimulatedDsrIosDevice;

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A reply as the tests look at it: status, parsed body (JSON when it is JSON), the x-request-id header. */
interface Reply {
  status: number;
  contentType: string;
  text: string;
  body: any;
  requestId: string | undefined;
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

const fromAnswer = (answer: GmsAnswer): Reply => ({
  status: answer.status,
  contentType: header(answer.headers['content-type']) ?? '',
  text: answer.text,
  body: parsed(answer.text),
  requestId: header(answer.headers['x-request-id']),
});

async function fromResponse(response: Response): Promise<Reply> {
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text,
    body: parsed(text),
    requestId: response.headers.get('x-request-id') ?? undefined,
  };
}

/** A refusal: the status, the reference error body with `code`, and traceId = the X-Request-Id header. */
function expectRefusal(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, errorCode: reply.body?.errorCode }, reply.text).toEqual({ status, errorCode: code });
  expect(typeof reply.body.description).toBe('string');
  expect(reply.requestId).toBeTruthy();
  expect(reply.body.traceId).toBe(reply.requestId);
}

const json = (value: unknown) => ({ type: 'application/json', text: JSON.stringify(value) });
const form = (fields: Record<string, string>) => ({
  type: 'application/x-www-form-urlencoded',
  text: new URLSearchParams(fields).toString(),
});

/** A request to a TLS listener with any (or no) client certificate, outside the GmsClient's agents. */
function tlsRequest(
  url: string,
  options: { method: string; ca: string; cert?: string; key?: string; body?: { type: string; text: string } },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      {
        method: options.method,
        agent: false,
        ca: options.ca,
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
        headers: options.body
          ? { 'content-type': options.body.type, 'content-length': Buffer.byteLength(options.body.text) }
          : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve(
            fromAnswer({
              status: response.statusCode ?? 0,
              headers: response.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          ),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body?.text);
  });
}

/** A self-signed P-256 client certificate shaped like a device certificate (CN = its key's name), and its key. */
function selfSignedClient(): { cert: string; key: string } {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = keys.publicKey.export({ format: 'der', type: 'spki' });
  const subjectDer = encodeName([['2.5.4.3', 'self-signed device']]);
  const now = Date.now();
  const der = buildCertificate(
    {
      serial: randomSerial(),
      subjectDer,
      spki,
      notBefore: now - DAY,
      notAfter: now + DAY,
      extensions: [extensions.basicConstraints(false), extensions.keyUsage(0)],
    },
    { key: keys.privateKey, subjectDer, keyIdentifier: keyIdentifier(spki) },
  );
  return { cert: certificatePem(der), key: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

const claimsOf = (token: string): Record<string, any> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

/** A certificate's subject as text, without the backslashes Node escapes '+' and the like with. */
const subjectOf = (certificate: X509Certificate) => certificate.subject.replace(/\\(.)/g, '$1');

const x5tS256 = (der: Uint8Array) => createHash('sha256').update(der).digest('base64url');

const newDevice = (platform: Platform): Promise<Device> =>
  platform === 'android' ? SimulatedDsrAndroidDevice.create() : SimulatedDsrIosDevice.create();

/** Registration claims with a deviation of either platform's variant options (each ignores the other's). */
const registrationClaimsWith = (
  device: Device,
  nonce: string,
  at: number,
  variant: AndroidRegistrationVariant & IosRegistrationVariant,
) =>
  device instanceof SimulatedDsrAndroidDevice
    ? device.registrationClaims(nonce, at, variant)
    : device.registrationClaims(nonce, at, variant);

/** A device-attestation token with a deviation of either platform's variant options. */
const attestationTokenWith = (
  device: Device,
  nonce: string,
  at: number,
  variant: AndroidAttestationVariant & IosAttestationVariant,
) =>
  device instanceof SimulatedDsrAndroidDevice
    ? device.attestationToken(nonce, at, variant)
    : device.attestationToken(nonce, at, variant);

let kvnrCounter = 0;
/** A KVNR no other test of the run uses (a letter, nine digits). */
const newKvnr = () => `T${String(process.pid % 1000).padStart(3, '0')}${String(++kvnrCounter).padStart(6, '0')}`;

/** A verifier fresh per exchange (43 base64url characters). */
const newVerifier = () => randomBytes(32).toString('base64url');

for (const backend of SERVER_BACKENDS) {
  describe.skipIf(backend.skip)(`DSR GMS over HTTP and mTLS on ${backend.name}`, () => {
    let server: TestServer;
    let client: GmsClient;
    /** PEM of the TLS listener's certificate, pinned from the endpoints document. */
    let serverCa: string;

    beforeAll(async () => {
      server = await startSimulatorServer({ database: backend.database, redis: backend.redis });
      client = await GmsClient.discover(server.url);
      serverCa = await pinnedServerCertificate(client.endpoints.mtls!, client.endpoints.serverCertificateSha256!);
    });
    afterAll(async () => {
      client?.close();
      await server?.close();
    });

    const plainPost = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fromResponse(
        await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        }),
      );
    const postRegistration = (token: string) => plainPost('/dsr/register-device', { token });
    const mtls = async (device: GmsDevice, method: string, path: string, body?: { type: string; text: string }) =>
      fromAnswer(await client.mtls(device, method, path, body));
    const attestOver = (device: GmsDevice, token: string, codeChallenge: string) =>
      mtls(device, 'POST', '/device-attestation', json({ token, codeChallenge }));
    const exchangeOver = (device: GmsDevice, code: string, verifier: string) =>
      mtls(device, 'POST', '/device-token', form({ code, code_verifier: verifier }));

    /** A device registered by the simulated client, with its card. */
    async function registered(platform: Platform, kvnr = newKvnr()) {
      const card = new SimulatedHealthCard({ kvnr });
      const device = await newDevice(platform);
      const certificate = await client.register(card, device);
      return { card, device, certificate };
    }

    /** An auth code for a fresh attestation of `device`, and the verifier it was issued for. */
    async function authCode(device: Device) {
      const verifier = newVerifier();
      const token = await device.attestationToken(await client.nonce(), Date.now());
      const reply = await attestOver(device, token, s256Challenge(verifier));
      expect(reply.status, reply.text).toBe(200);
      return { code: reply.text, verifier };
    }

    describe('nonce', () => {
      it('is 64 random bytes, base64, as text/plain; two differ', async () => {
        const first = await fromResponse(await fetch(`${server.url}/dsr/nonce`));
        const second = await fromResponse(await fetch(`${server.url}/dsr/nonce`));
        for (const reply of [first, second]) {
          expect(reply.status).toBe(200);
          expect(reply.contentType).toMatch(/^text\/plain/);
          expect(reply.text).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
          const bytes = Buffer.from(reply.text, 'base64');
          expect(bytes).toHaveLength(64);
          expect(bytes.toString('base64')).toBe(reply.text);
        }
        expect(first.text).not.toBe(second.text);
      });
    });

    describe.each(['android', 'ios'] as const)('%s device', (platform) => {
      it('registers, gets a bound device token that verifies against the JWKS', async () => {
        const kvnr = newKvnr();
        const card = new SimulatedHealthCard({ kvnr });
        const device = await newDevice(platform);
        const token = card.sign(await device.registrationClaims(await client.nonce(), Date.now()));
        const registration = await postRegistration(token);
        expect(registration.status, registration.text).toBe(201);
        expect(Object.keys(registration.body)).toEqual(['cert']);
        const der = device.acceptCertificate(registration.body.cert);

        // The client certificate: CN = the device's sub, issued by this server's device CA.
        const certificate = new X509Certificate(der);
        expect(subjectOf(certificate)).toBe(`CN=${device.sub}`);
        const deviceCa = server.services.dsr!.deviceCa;
        const intermediate = new X509Certificate(deviceCa.intermediate.der);
        expect(certificate.checkIssued(intermediate)).toBe(true);
        expect(certificate.verify(intermediate.publicKey)).toBe(true);
        expect(intermediate.verify(new X509Certificate(deviceCa.root.der).publicKey)).toBe(true);
        expect(certificate.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
          device.identity.publicKey.export({ format: 'der', type: 'spki' }),
        );

        const before = Math.floor(Date.now() / 1000);
        const deviceToken = await client.deviceToken(device);
        const claims = claimsOf(deviceToken);
        expect(claims.iss).toBe(server.config.dsr.issuer);
        expect(claims.sub).toBe(device.sub);
        expect(claims.type).toBe(platform === 'android' ? 'ANDROID' : 'IOS');
        expect(claims.userIdentifier).toBe(kvnr);
        expect(claims.iat).toBeGreaterThanOrEqual(before - 1);
        expect(claims.exp - claims.iat).toBe(3600);
        expect(typeof claims.jti).toBe('string');
        expect(claims.jti.length).toBeGreaterThan(0);
        expect(claims.cnf).toEqual({ 'x5t#S256': x5tS256(der) });
        if (platform === 'android') {
          expect(claims.deviceHealth.integrityVerdict.verified).toBe(true);
          expect(typeof claims.deviceHealth.integrityVerdict.appIntegrity.versionCode).toBe('number');
          expect([1, 2]).toContain(claims.deviceHealth.keyIdAttestation.attestationSecurityLevel);
        } else {
          expect(typeof claims.deviceHealth.assertion.rpID).toBe('string');
          expect(claims.deviceHealth.assertion.rpID.length).toBeGreaterThan(0);
          expect(typeof claims.deviceHealth.assertion.counter).toBe('number');
        }
        // The device's attributes ride in deviceHealth, where the reference policies read them.
        if (platform === 'android') expect(claims.deviceHealth.deviceAttributes.build.model).toBe('Pixel 6');
        else expect(claims.deviceHealth.deviceAttributes.systemModel).toBe('iPhone15,2');

        const jwks = (await (await fetch(`${server.url}/dsr/jwks.json`)).json()) as { keys: unknown[] };
        const verified = verifyDeviceToken(deviceToken, { keys: keysFromJwks(jwks) }, Date.now(), {
          clientCertificate: der,
          requireBinding: true,
        });
        expect(verified.bound).toBe(true);
        expect(verified.claims.sub).toBe(device.sub);
        // Another certificate is not the one the token is bound to.
        const other = await registered(platform);
        expect(
          verifyDeviceToken(deviceToken, { keys: keysFromJwks(jwks) }, Date.now(), {
            clientCertificate: other.certificate,
          }).bound,
        ).toBe(false);
      });

      it('refuses a registration token posted twice (the nonce is spent)', async () => {
        const card = new SimulatedHealthCard({ kvnr: newKvnr() });
        const device = await newDevice(platform);
        const token = card.sign(await device.registrationClaims(await client.nonce(), Date.now()));
        expect((await postRegistration(token)).status).toBe(201);
        expectRefusal(await postRegistration(token), 403, 'CHALLENGE_USED');
      });

      it('refuses a registration token issued more than 60 minutes ago', async () => {
        const card = new SimulatedHealthCard({ kvnr: newKvnr() });
        const device = await newDevice(platform);
        const at = Date.now() - 61 * MINUTE;
        const token = card.sign(await device.registrationClaims(await client.nonce(), at));
        expectRefusal(await postRegistration(token), 400, 'DSR_CLAIM_ISSUED_TOO_LONG_AGO');
      });

      it('refuses a health card from a CA the server does not trust', async () => {
        const pki = testCardPki();
        const card = new SimulatedHealthCard({
          kvnr: newKvnr(),
          authority: { certificate: pki.caDer, privateKey: pki.caKey },
        });
        const device = await newDevice(platform);
        const token = card.sign(await device.registrationClaims(await client.nonce(), Date.now()));
        expectRefusal(await postRegistration(token), 403, 'DSR_CARD_UNTRUSTED');
      });

      it('refuses a sub that is not the CSR key', async () => {
        const card = new SimulatedHealthCard({ kvnr: newKvnr() });
        const device = await newDevice(platform);
        const claims = await device.registrationClaims(await client.nonce(), Date.now());
        // The card signs what the app hands it: here a sub naming another key than the CSR's.
        claims.sub = createHash('sha256').update('another key').digest('base64');
        expectRefusal(await postRegistration(card.sign(claims)), 403, 'DSR_CSR_SUB_MISMATCH');
      });

      it("refuses an attestation token whose sub names another device's key", async () => {
        const mine = await registered(platform);
        const theirs = await registered(platform);
        const claims = await mine.device.attestationClaims(await client.nonce(), Date.now());
        claims.sub = theirs.device.sub;
        const token = mine.device.identity.signAttestation(claims);
        expectRefusal(await attestOver(mine.device, token, s256Challenge(newVerifier())), 403, 'DSR_SUB_MISMATCH');
      });

      it('refuses a registration token issued in the future', async () => {
        const card = new SimulatedHealthCard({ kvnr: newKvnr() });
        const device = await newDevice(platform);
        const token = card.sign(await device.registrationClaims(await client.nonce(), Date.now() + 5 * MINUTE));
        expectRefusal(await postRegistration(token), 400, 'DSR_CLAIM_ISSUED_IN_FUTURE');
      });

      it("refuses an attestation token of another device over this device's TLS session", async () => {
        const mine = await registered(platform);
        const theirs = await registered(platform);
        const token = await theirs.device.attestationToken(await client.nonce(), Date.now());
        expectRefusal(
          await attestOver(mine.device, token, s256Challenge(newVerifier())),
          403,
          'DSR_CLIENT_CERTIFICATE_MISMATCH',
        );
      });

      it('refuses an attestation token issued more than 30 minutes ago', async () => {
        const { device } = await registered(platform);
        const token = await device.attestationToken(await client.nonce(), Date.now() - 31 * MINUTE);
        expectRefusal(
          await attestOver(device, token, s256Challenge(newVerifier())),
          400,
          'DSR_CLAIM_ISSUED_TOO_LONG_AGO',
        );
      });

      it('refuses a wrong PKCE verifier without spending the code, then a reused code', async () => {
        const { device } = await registered(platform);
        const { code, verifier } = await authCode(device);
        expectRefusal(await exchangeOver(device, code, newVerifier()), 400, 'DSR_PKCE_MISMATCH');
        const granted = await exchangeOver(device, code, verifier);
        expect(granted.status, granted.text).toBe(200);
        expect(claimsOf(granted.body.token).sub).toBe(device.sub);
        expectRefusal(await exchangeOver(device, code, verifier), 400, 'DSR_AUTH_CODE_USED');

        const decisions = await decisionsAbout(server, { capability: 'dsr', subject: device.sub });
        expect(outcomes(decisions)).toEqual([
          ['device-token', 'rejected', 'DSR_AUTH_CODE_USED'],
          ['device-token', 'accepted', ''],
          ['device-token', 'rejected', 'DSR_PKCE_MISMATCH'],
          ['device-attestation', 'accepted', ''],
          ['register-device', 'accepted', ''],
        ]);
        for (const accepted of [decisions[1], decisions[3], decisions[4]])
          expect(accepted).toMatchObject({ platform, summary: { userId: expect.any(String) } });
      });

      it("refuses the code over another device's certificate; the right device still redeems it", async () => {
        const mine = await registered(platform);
        const theirs = await registered(platform);
        const { code, verifier } = await authCode(mine.device);
        expectRefusal(await exchangeOver(theirs.device, code, verifier), 403, 'DSR_CLIENT_CERTIFICATE_MISMATCH');
        const granted = await exchangeOver(mine.device, code, verifier);
        expect(granted.status, granted.text).toBe(200);
        expect(claimsOf(granted.body.token).cnf['x5t#S256']).toBe(x5tS256(mine.certificate));
      });

      it('refuses attestation of a device whose registrations were deleted', async () => {
        const kvnr = newKvnr();
        const { device } = await registered(platform, kvnr);
        const deleted = await mtls(device, 'DELETE', `/device-registrations?userIdentifier=${kvnr}`);
        expect(deleted.status, deleted.text).toBe(204);
        const token = await device.attestationToken(await client.nonce(), Date.now());
        expectRefusal(await attestOver(device, token, s256Challenge(newVerifier())), 403, 'DSR_REGISTRATION_UNKNOWN');
        expectRefusal(
          await mtls(device, 'GET', `/device-registrations?userIdentifier=${kvnr}`),
          403,
          'DSR_REGISTRATION_UNKNOWN',
        );
      });
    });

    it.each([
      ['android', { wrongCsrChallenge: true }, 403, 'DSR_CSR_CHALLENGE_MISMATCH'],
      ['android', { wrongAttestChallenge: true }, 400, 'DSR_ANDROID_ATTEST_KEY_CHALLENGE_MISMATCH'],
      ['android', { wrongMtlsChallenge: true }, 400, 'DSR_ANDROID_MTLS_KEY_CHALLENGE_MISMATCH'],
      ['android', { wrongIntegrityNonce: true }, 403, 'DSR_INTEGRITY_NONCE_MISMATCH'],
      ['ios', { wrongCsrChallenge: true }, 403, 'DSR_CSR_CHALLENGE_MISMATCH'],
      ['ios', { wrongChallenge: true }, 400, 'DSR_IOS_ATTESTATION_CHALLENGE_MISMATCH'],
    ] as const)('refuses an %s registration made for another nonce (%j)', async (platform, variant, status, code) => {
      const card = new SimulatedHealthCard({ kvnr: newKvnr() });
      const device = await newDevice(platform);
      const nonce = await client.nonce();
      const claims = await registrationClaimsWith(device, nonce, Date.now(), variant);
      expectRefusal(await postRegistration(card.sign(claims)), status, code);
      // A refused registration leaves the nonce unspent: the genuine one still goes through.
      const genuine = card.sign(await device.registrationClaims(nonce, Date.now()));
      expect((await postRegistration(genuine)).status).toBe(201);
    });

    it.each([
      ['android', { wrongChallenge: true }, 400, 'DSR_ANDROID_FRESH_KEY_CHALLENGE_MISMATCH'],
      ['android', { foreignAttestKey: true }, 403, 'DSR_ANDROID_ATTEST_KEY_NOT_REGISTERED'],
      ['android', { wrongIntegrityNonce: true }, 403, 'DSR_INTEGRITY_NONCE_MISMATCH'],
      ['ios', { wrongChallenge: true }, 403, 'DSR_IOS_ASSERTION_INVALID'],
    ] as const)(
      'refuses an %s attestation made for another nonce or key (%j)',
      async (platform, variant, status, code) => {
        const { device } = await registered(platform);
        const token = await attestationTokenWith(device, await client.nonce(), Date.now(), variant);
        expectRefusal(await attestOver(device, token, s256Challenge(newVerifier())), status, code);
      },
    );

    it.each(['android', 'ios'] as const)(
      'refuses to exchange a %s code issued before its registration was deleted',
      async (platform) => {
        const kvnr = newKvnr();
        const { device } = await registered(platform, kvnr);
        const { code, verifier } = await authCode(device);
        const deleted = await mtls(device, 'DELETE', `/device-registrations?userIdentifier=${kvnr}`);
        expect(deleted.status, deleted.text).toBe(204);
        expectRefusal(await exchangeOver(device, code, verifier), 403, 'DSR_REGISTRATION_UNKNOWN');
      },
    );

    it('refuses an iOS assertion whose counter does not increase', async () => {
      const { device } = await registered('ios');
      const ios = device as SimulatedDsrIosDevice;
      const first = await ios.attestationToken(await client.nonce(), Date.now(), { counter: 5 });
      expect((await attestOver(ios, first, s256Challenge(newVerifier()))).status).toBe(200);
      const again = await ios.attestationToken(await client.nonce(), Date.now(), { counter: 5 });
      expectRefusal(await attestOver(ios, again, s256Challenge(newVerifier())), 403, 'DSR_IOS_COUNTER_NOT_INCREASING');
      const lower = await ios.attestationToken(await client.nonce(), Date.now(), { counter: 4 });
      expectRefusal(await attestOver(ios, lower, s256Challenge(newVerifier())), 403, 'DSR_IOS_COUNTER_NOT_INCREASING');
      const higher = await ios.attestationToken(await client.nonce(), Date.now(), { counter: 6 });
      expect((await attestOver(ios, higher, s256Challenge(newVerifier()))).status).toBe(200);
    });

    it("lists the certificate user's devices and refuses another user's", async () => {
      const kvnr = newKvnr();
      const phone = await registered('android', kvnr);
      const tablet = await registered('ios', kvnr);
      const stranger = await registered('android');
      const list = await mtls(phone.device, 'GET', `/device-registrations?userIdentifier=${kvnr}`);
      expect(list.status, list.text).toBe(200);
      expect(
        (list.body as { sub: string; userIdentifier: string; platform: string }[])
          .map(({ sub, userIdentifier, platform }) => ({ sub, userIdentifier, platform }))
          .sort((a, b) => a.platform.localeCompare(b.platform)),
      ).toEqual([
        { sub: phone.device.sub, userIdentifier: kvnr, platform: 'android' },
        { sub: tablet.device.sub, userIdentifier: kvnr, platform: 'ios' },
      ]);
      expectRefusal(
        await mtls(stranger.device, 'GET', `/device-registrations?userIdentifier=${kvnr}`),
        403,
        'DSR_USER_MISMATCH',
      );
      expectRefusal(
        await mtls(stranger.device, 'DELETE', `/device-registrations?userIdentifier=${kvnr}`),
        403,
        'DSR_USER_MISMATCH',
      );
      // The stranger's attempt removed nothing.
      expect((await mtls(tablet.device, 'GET', `/device-registrations?userIdentifier=${kvnr}`)).body).toHaveLength(2);
    });

    it('refuses the mTLS routes without a client certificate, and with a self-signed one', async () => {
      const { device } = await registered('android');
      const body = json({
        token: await device.attestationToken(await client.nonce(), Date.now()),
        codeChallenge: s256Challenge(newVerifier()),
      });
      const url = `${client.endpoints.mtls}/device-attestation`;
      expectRefusal(
        await tlsRequest(url, { method: 'POST', ca: serverCa, body }),
        401,
        'DSR_CLIENT_CERTIFICATE_MISSING',
      );
      expectRefusal(
        await tlsRequest(url, { method: 'POST', ca: serverCa, body, ...selfSignedClient() }),
        403,
        'DSR_CLIENT_CERTIFICATE_UNTRUSTED',
      );
      // The plain listener ignores a forwarded certificate unless dsr.trustedProxies names the sender.
      expectRefusal(
        await plainPost('/dsr/device-attestation', JSON.parse(body.text), {
          'x-client-certificate': encodeURIComponent(device.certificatePem!),
        }),
        401,
        'DSR_CLIENT_CERTIFICATE_MISSING',
      );
      // The token was not spent by those refusals.
      const accepted = await mtls(device, 'POST', '/device-attestation', body);
      expect(accepted.status, accepted.text).toBe(200);
    });

    it('redeems a code once of two concurrent exchanges', async () => {
      const { device } = await registered('android');
      const { code, verifier } = await authCode(device);
      const replies = await Promise.all([exchangeOver(device, code, verifier), exchangeOver(device, code, verifier)]);
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 400]);
      expectRefusal(replies.find((reply) => reply.status !== 200)!, 400, 'DSR_AUTH_CODE_USED');
    });

    it('accepts one of two concurrent iOS assertions with the same counter', async () => {
      const { device } = await registered('ios');
      const ios = device as SimulatedDsrIosDevice;
      const tokens = [
        await ios.attestationToken(await client.nonce(), Date.now(), { counter: 7 }),
        await ios.attestationToken(await client.nonce(), Date.now(), { counter: 7 }),
      ];
      const replies = await Promise.all(tokens.map((token) => attestOver(ios, token, s256Challenge(newVerifier()))));
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 403]);
      expectRefusal(replies.find((reply) => reply.status !== 200)!, 403, 'DSR_IOS_COUNTER_NOT_INCREASING');
    });

    it("answers with the caller's X-Request-Id as traceId", async () => {
      const reply = await plainPost(
        '/dsr/register-device',
        { token: 'not-a-jws' },
        { 'x-request-id': 'gms-test:trace-1' },
      );
      expect(reply.requestId).toBe('gms-test:trace-1');
      expectRefusal(reply, 400, 'DSR_CARD_TOKEN_MALFORMED');
    });

    it('registers once of two concurrent registrations with one nonce', async () => {
      const nonce = await client.nonce();
      const at = Date.now();
      const tokens = await Promise.all(
        (['android', 'ios'] as const).map(async (platform) => {
          const device = await newDevice(platform);
          return new SimulatedHealthCard({ kvnr: newKvnr() }).sign(await device.registrationClaims(nonce, at));
        }),
      );
      const replies = await Promise.all(tokens.map((token) => postRegistration(token)));
      expect(replies.map((reply) => reply.status).sort()).toEqual([201, 403]);
      expectRefusal(replies.find((reply) => reply.status !== 201)!, 403, 'CHALLENGE_USED');
    });
  });
}

describe('DSR GMS behind a trusted proxy (SQLite)', () => {
  let server: TestServer;
  let client: GmsClient;
  beforeAll(async () => {
    server = await startSimulatorServer({ options: { dsr: { trustedProxies: ['127.0.0.1/32'] } } });
    client = await GmsClient.discover(server.url);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it('takes the forwarded client certificate on the plain listener from a trusted proxy', async () => {
    const card = new SimulatedHealthCard({ kvnr: newKvnr() });
    const device = await SimulatedDsrAndroidDevice.create();
    const der = await client.register(card, device);
    const forwarded = { 'x-client-certificate': encodeURIComponent(device.certificatePem!) };
    const verifier = newVerifier();
    const attested = await fromResponse(
      await fetch(`${server.url}/dsr/device-attestation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...forwarded },
        body: JSON.stringify({
          token: await device.attestationToken(await client.nonce(), Date.now()),
          codeChallenge: s256Challenge(verifier),
        }),
      }),
    );
    expect(attested.status, attested.text).toBe(200);
    expect(attested.contentType).toMatch(/^text\/plain/);
    const exchanged = await fromResponse(
      await fetch(`${server.url}/dsr/device-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...forwarded },
        body: new URLSearchParams({ code: attested.text, code_verifier: verifier }).toString(),
      }),
    );
    expect(exchanged.status, exchanged.text).toBe(200);
    expect(claimsOf(exchanged.body.token).cnf).toEqual({ 'x5t#S256': x5tS256(der) });

    const garbled = await fromResponse(
      await fetch(`${server.url}/dsr/device-attestation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-client-certificate': 'not%20a%20certificate' },
        body: JSON.stringify({ token: 'x', codeChallenge: s256Challenge(verifier) }),
      }),
    );
    expectRefusal(garbled, 400, 'DSR_PEP_CERTIFICATE_MALFORMED');

    // No header: no certificate.
    const bare = await fromResponse(
      await fetch(`${server.url}/dsr/device-attestation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'x', codeChallenge: s256Challenge(verifier) }),
      }),
    );
    expectRefusal(bare, 401, 'DSR_CLIENT_CERTIFICATE_MISSING');
  });
});

describe("DSR registration with gematik's virtual health card, pinned (SQLite)", () => {
  const at = Date.parse('2023-06-01T12:00:00Z');
  let server: TestServer;
  beforeAll(async () => {
    server = await startSimulatorServer({
      clock: new FixedClock(at),
      options: { dsr: { pinnedCardCertificateFiles: [vectorPath('dsr/virtual-egk-bp256.pem')] } },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('registers an Android device with a token the virtual card signed, for its KVNR', async () => {
    const card = virtualCard();
    expect(at).toBeGreaterThan(card.notBefore);
    expect(at).toBeLessThan(card.notAfter);
    const device = await SimulatedDsrAndroidDevice.create({
      device: await AndroidDeviceSimulator.create({ root: 'shipped', at }),
    });
    const nonce = await (await fetch(`${server.url}/dsr/nonce`)).text();
    const token = signBrainpoolJws(await device.registrationClaims(nonce, at), card.privateKey, [card.der]);
    const reply = await fromResponse(
      await fetch(`${server.url}/dsr/register-device`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      }),
    );
    expect(reply.status, reply.text).toBe(201);
    const certificate = new X509Certificate(device.acceptCertificate(reply.body.cert));
    expect(subjectOf(certificate)).toBe(`CN=${device.sub}`);
    expect(Date.parse(certificate.validFrom)).toBeLessThanOrEqual(at);
    const registration = await server.services.store.dsrRegistrations.bySub(device.sub);
    expect(registration?.userId).toBe(card.kvnr);
    expect(registration?.userId).toBe('X764228532');
    expect(registration?.platform).toBe('android');
  });

  /** A registration signed with the virtual card, posted to `url` (an iOS device: the card is checked first). */
  async function virtualCardRegistration(url: string, when: number): Promise<Reply> {
    const card = virtualCard();
    const device = await SimulatedDsrIosDevice.create();
    const nonce = await (await fetch(`${url}/dsr/nonce`)).text();
    const token = signBrainpoolJws(await device.registrationClaims(nonce, when), card.privateKey, [card.der]);
    return fromResponse(
      await fetch(`${url}/dsr/register-device`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      }),
    );
  }

  it('refuses the virtual card on a server that does not pin it, and once it has expired', async () => {
    const unpinned = await startSimulatorServer({ clock: new FixedClock(at) });
    try {
      expectRefusal(await virtualCardRegistration(unpinned.url, at), 403, 'DSR_CARD_UNTRUSTED');
    } finally {
      await unpinned.close();
    }
    const later = Date.parse('2024-06-01T12:00:00Z');
    const expired = await startSimulatorServer({
      clock: new FixedClock(later),
      options: { dsr: { pinnedCardCertificateFiles: [vectorPath('dsr/virtual-egk-bp256.pem')] } },
    });
    try {
      expectRefusal(await virtualCardRegistration(expired.url, later), 400, 'DSR_CARD_EXPIRED');
    } finally {
      await expired.close();
    }
  });
});
