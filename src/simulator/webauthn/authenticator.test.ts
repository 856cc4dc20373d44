import { createPublicKey, randomBytes, verify } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { decode } from 'cbor2';
import {
  SettingsService,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAsset } from '../../assets.js';
import { pemCertificates } from '../../crypto/x509/certificate.js';
import { sha256 } from '../../crypto/keys.js';
import { simulatorAnchors } from '../roots.js';
import { androidVerifier } from '../../../test/helpers/android.js';
import { SimulatedAuthenticator, type SimulatedAuthenticatorOptions } from './authenticator.js';
import { COSE_ALGORITHM_IDS, type CoseAlgorithmName } from './credential-key.js';
import { SIMULATED_MODELS, type SimulatedModel } from './models.js';
import { TPM_GENERATED_VALUE, TPM_ST_ATTEST_CERTIFY } from './tpm-structures.js';

const RP_ID = 'keyward.example';
const ORIGIN = 'https://keyward.example';
const shippedRoot = (name: string) => new Uint8Array(pemCertificates(readAsset(`simulator/${name}.pem`))[0]!);

beforeAll(() => {
  // SimpleWebAuthn as an independent relying party that trusts the simulator's test roots.
  const webauthnRoot = shippedRoot('webauthn-root');
  for (const identifier of ['packed', 'tpm', 'fido-u2f'] as const)
    SettingsService.setRootCertificates({ identifier, certificates: [webauthnRoot] });
  SettingsService.setRootCertificates({ identifier: 'apple', certificates: [shippedRoot('webauthn-apple-root')] });
  SettingsService.setRootCertificates({ identifier: 'android-key', certificates: [shippedRoot('android-root')] });
});

const optionsOf = (model: SimulatedModel): SimulatedAuthenticatorOptions => ({
  format: SIMULATED_MODELS[model].format,
  ...(model === 'packed-self' ? { selfAttestation: true } : {}),
});

async function registerWith(authenticator: SimulatedAuthenticator, extra: { residentKey?: boolean } = {}) {
  const challenge = randomBytes(32);
  const response = await authenticator.register({
    rpId: RP_ID,
    origin: ORIGIN,
    challenge,
    user: { id: randomBytes(16), name: 'alice' },
    ...extra,
  });
  const verification = await verifyRegistrationResponse({
    response: response as never,
    expectedChallenge: challenge.toString('base64url'),
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: authenticator.format !== 'fido-u2f',
    supportedAlgorithmIDs: Object.values(COSE_ALGORITHM_IDS),
  });
  return { response, verification };
}

async function signIn(authenticator: SimulatedAuthenticator, credential: WebAuthnCredential, counter?: number) {
  const challenge = randomBytes(32);
  const response = authenticator.authenticate({
    rpId: RP_ID,
    origin: ORIGIN,
    challenge,
    allowCredentials: [credential.id],
    ...(counter === undefined ? {} : { counter }),
  });
  return verifyAuthenticationResponse({
    response: response as never,
    expectedChallenge: challenge.toString('base64url'),
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential,
    requireUserVerification: authenticator.format !== 'fido-u2f',
  });
}

/** SimpleWebAuthn compares an android-key leaf with the credential key as EC points only: RSA keys are checked below instead. */
const crossCheckable = (model: SimulatedModel, algorithm: CoseAlgorithmName) =>
  !(model === 'android-key' && algorithm === 'RS256');
const cases = (Object.keys(SIMULATED_MODELS) as SimulatedModel[]).flatMap((model) =>
  SIMULATED_MODELS[model].algorithms
    .filter((algorithm) => crossCheckable(model, algorithm))
    .map((algorithm) => [model, algorithm] as [SimulatedModel, CoseAlgorithmName]),
);

describe('simulated WebAuthn authenticators, cross-checked with SimpleWebAuthn', () => {
  it.each(cases)('%s with %s registers and signs in twice', async (model, algorithm) => {
    const authenticator = await SimulatedAuthenticator.create({ ...optionsOf(model), algorithm });
    const { response, verification } = await registerWith(authenticator);
    expect(verification.verified).toBe(true);
    const info = verification.registrationInfo!;
    expect(info.fmt).toBe(SIMULATED_MODELS[model].format);
    expect(info.aaguid).toBe(SIMULATED_MODELS[model].aaguid);
    expect(info.credential.id).toBe(response.id);
    expect(info.credential.counter).toBe(0);
    expect(info.userVerified).toBe(model !== 'fido-u2f');
    expect(response.response.publicKeyAlgorithm).toBe(COSE_ALGORITHM_IDS[algorithm]);
    expect(response.response.transports).toEqual(SIMULATED_MODELS[model].transports);
    expect(response.authenticatorAttachment).toBe(SIMULATED_MODELS[model].attachment);

    const first = await signIn(authenticator, info.credential);
    expect(first.verified).toBe(true);
    expect(first.authenticationInfo.newCounter).toBe(1);
    const second = await signIn(authenticator, { ...info.credential, counter: 1 });
    expect(second.verified).toBe(true);
    expect(second.authenticationInfo.newCounter).toBe(2);
    expect(authenticator.credentials[0]!.counter).toBe(2);
  });

  it.each(['packed', 'tpm', 'apple', 'fido-u2f', 'android-key'] as SimulatedModel[])(
    '%s under freshly generated roots is refused by a relying party trusting only the shipped ones',
    async (model) => {
      const authenticator = await SimulatedAuthenticator.create({ ...optionsOf(model), roots: 'generated' });
      await expect(registerWith(authenticator)).rejects.toThrow(/trust anchor|root certificate/);
    },
  );

  it('refuses a wrong challenge and detects a sign count regression', async () => {
    const authenticator = await SimulatedAuthenticator.create({ format: 'packed', counter: 10 });
    const challenge = randomBytes(32);
    const response = await authenticator.register({
      rpId: RP_ID,
      origin: ORIGIN,
      challenge,
      user: { id: randomBytes(16) },
    });
    await expect(
      verifyRegistrationResponse({
        response: response as never,
        expectedChallenge: randomBytes(32).toString('base64url'),
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
      }),
    ).rejects.toThrow(/challenge/);

    const { verification } = await registerWith(authenticator);
    const credential = verification.registrationInfo!.credential;
    expect(credential.counter).toBe(10);
    expect((await signIn(authenticator, credential)).authenticationInfo.newCounter).toBe(11);
    await expect(signIn(authenticator, { ...credential, counter: 11 }, 5)).rejects.toThrow(/counter/);
  });

  it('signs in usernameless with a discoverable credential and returns its user handle', async () => {
    const authenticator = await SimulatedAuthenticator.create({
      format: 'apple',
      backupEligible: true,
      backedUp: true,
      counterIncrements: false,
    });
    const { verification } = await registerWith(authenticator, { residentKey: true });
    const info = verification.registrationInfo!;
    expect(info.credentialDeviceType).toBe('multiDevice');
    expect(info.credentialBackedUp).toBe(true);
    const challenge = randomBytes(32);
    const assertion = authenticator.authenticate({ rpId: RP_ID, origin: ORIGIN, challenge });
    expect(assertion.id).toBe(info.credential.id);
    expect(assertion.response.userHandle).toBe(authenticator.credentials[0]!.userHandle);
    const result = await verifyAuthenticationResponse({
      response: assertion as never,
      expectedChallenge: challenge.toString('base64url'),
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: info.credential,
    });
    expect(result.verified).toBe(true);
    expect(result.authenticationInfo.newCounter).toBe(0);
    expect(result.authenticationInfo.credentialBackedUp).toBe(true);
  });

  it('refuses to sign in without a credential for the RP, and to register an excluded one or an unoffered algorithm', async () => {
    const authenticator = await SimulatedAuthenticator.create({ format: 'none', algorithm: 'EdDSA' });
    const request = { rpId: RP_ID, origin: ORIGIN, challenge: randomBytes(32), user: { id: randomBytes(16) } };
    const first = await authenticator.register(request);
    expect(() => authenticator.authenticate({ rpId: RP_ID, origin: ORIGIN, challenge: randomBytes(32) })).toThrow(
      /NotAllowedError/,
    );
    await expect(authenticator.register({ ...request, excludeCredentials: [first.id] })).rejects.toThrow(
      /InvalidStateError/,
    );
    await expect(authenticator.register({ ...request, algorithms: [-7, -257] })).rejects.toThrow(/NotSupportedError/);
    await expect(SimulatedAuthenticator.create({ format: 'apple', algorithm: 'RS256' })).rejects.toThrow(TypeError);
  });
});

describe('attestation statement details', () => {
  const attestationOf = (response: { response: { attestationObject: string } }) =>
    decode(Buffer.from(response.response.attestationObject, 'base64url'), { preferMap: true }) as Map<string, unknown>;

  it('tpm: certInfo certifies the pubArea and binds authData ‖ clientDataHash; the AIK certificate has the required shape', async () => {
    const authenticator = await SimulatedAuthenticator.create({ format: 'tpm', algorithm: 'RS256' });
    const { response } = await registerWith(authenticator);
    const object = attestationOf(response);
    const statement = object.get('attStmt') as Map<string, Uint8Array | number | string | Uint8Array[]>;
    const certInfo = Buffer.from(statement.get('certInfo') as Uint8Array);
    const pubArea = Buffer.from(statement.get('pubArea') as Uint8Array);
    expect(certInfo.readUInt32BE(0)).toBe(TPM_GENERATED_VALUE);
    expect(certInfo.readUInt16BE(4)).toBe(TPM_ST_ATTEST_CERTIFY);
    const signerLength = certInfo.readUInt16BE(6);
    const extraDataAt = 8 + signerLength;
    const extraData = certInfo.subarray(extraDataAt + 2, extraDataAt + 2 + certInfo.readUInt16BE(extraDataAt));
    const clientDataHash = sha256(Buffer.from(response.response.clientDataJSON, 'base64url'));
    const authData = Buffer.from(object.get('authData') as Uint8Array);
    expect(extraData).toEqual(sha256(Buffer.concat([authData, clientDataHash])));
    const nameAt = extraDataAt + 2 + extraData.length + 17 + 8;
    const name = certInfo.subarray(nameAt + 2, nameAt + 2 + certInfo.readUInt16BE(nameAt));
    expect(name).toEqual(Buffer.concat([Buffer.of(0, 0x0b), sha256(pubArea)]));
    expect(pubArea.readUInt16BE(0)).toBe(0x0001);

    const aik = new x509.X509Certificate((statement.get('x5c') as Uint8Array[])[0]!);
    expect(aik.subject).toBe('');
    const san = aik.getExtension('2.5.29.17')!;
    expect(san.critical).toBe(true);
    expect(Buffer.from(san.value).toString('latin1')).toContain('id:FFFFF1D0');
    expect(aik.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual(['2.23.133.8.3']);
    expect(aik.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(false);
    const aaguid = aik.getExtension('1.3.6.1.4.1.45724.1.1.4')!;
    expect(Buffer.from(aaguid.value).subarray(2).toString('hex')).toBe(SIMULATED_MODELS.tpm.aaguid.replace(/-/g, ''));
  });

  it('tpm with an ECC key carries the point and curve in pubArea', async () => {
    const authenticator = await SimulatedAuthenticator.create({ format: 'tpm', algorithm: 'ES384' });
    const { response } = await registerWith(authenticator);
    const pubArea = Buffer.from((attestationOf(response).get('attStmt') as Map<string, Uint8Array>).get('pubArea')!);
    expect(pubArea.readUInt16BE(0)).toBe(0x0023);
    expect(pubArea.readUInt16BE(14)).toBe(0x0004);
  });

  it('fido-u2f: one certificate, zero AAGUID, no user verification', async () => {
    const authenticator = await SimulatedAuthenticator.create({ format: 'fido-u2f' });
    const { response } = await registerWith(authenticator);
    const object = attestationOf(response);
    expect((object.get('attStmt') as Map<string, unknown[]>).get('x5c')).toHaveLength(1);
    const authData = Buffer.from(object.get('authData') as Uint8Array);
    expect(authData.subarray(37, 53)).toEqual(Buffer.alloc(16));
    expect(authData[32]! & 0x04).toBe(0);
  });

  it('x5cWithRoot appends the root; android-key chains end in the simulator Android root', async () => {
    const packed = await SimulatedAuthenticator.create({ format: 'packed', x5cWithRoot: true });
    const registration = await packed.register({
      rpId: RP_ID,
      origin: ORIGIN,
      challenge: randomBytes(32),
      user: { id: randomBytes(8) },
    });
    const x5c = (attestationOf(registration).get('attStmt') as Map<string, Uint8Array[]>).get('x5c')!;
    expect(x5c).toHaveLength(3);
    expect(new Uint8Array(x5c[2]!)).toEqual(shippedRoot('webauthn-root'));
    const android = await SimulatedAuthenticator.create({ format: 'android-key' });
    const { response } = await registerWith(android);
    const chain = (attestationOf(response).get('attStmt') as Map<string, Uint8Array[]>).get('x5c')!;
    expect(new Uint8Array(chain.at(-1)!)).toEqual(shippedRoot('android-root'));
  });

  it("android-key with RS256: Keyward's Android verifier accepts the chain with challenge = clientDataHash; the leaf key signs", async () => {
    const authenticator = await SimulatedAuthenticator.create({ format: 'android-key', algorithm: 'RS256' });
    const request = { rpId: RP_ID, origin: ORIGIN, challenge: randomBytes(32), user: { id: randomBytes(16) } };
    const response = await authenticator.register(request);
    const object = attestationOf(response);
    const statement = object.get('attStmt') as Map<string, unknown>;
    const chain = statement.get('x5c') as Uint8Array[];
    const clientDataHash = sha256(Buffer.from(response.response.clientDataJSON, 'base64url'));
    const result = await androidVerifier({}, simulatorAnchors().android).verify({
      chain,
      challenge: clientDataHash,
      at: Date.now(),
    });
    expect(result.anchor).toMatch(/^SIMULATOR Android test root/);
    await expect(
      androidVerifier({}, simulatorAnchors().android).verify({ chain, challenge: randomBytes(32), at: Date.now() }),
    ).rejects.toThrow();

    const spki = Buffer.from(new x509.X509Certificate(chain[0]!).publicKey.rawData);
    expect(spki.toString('base64url')).toBe(response.response.publicKey);
    const leafKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const authData = Buffer.from(object.get('authData') as Uint8Array);
    const signed = Buffer.concat([authData, clientDataHash]);
    expect(statement.get('alg')).toBe(-257);
    expect(verify('sha256', signed, leafKey, statement.get('sig') as Uint8Array)).toBe(true);

    const assertion = authenticator.authenticate({
      ...request,
      challenge: randomBytes(32),
      allowCredentials: [response.id],
    });
    const assertionData = Buffer.from(assertion.response.authenticatorData, 'base64url');
    expect(assertionData.readUInt32BE(33)).toBe(1);
    const assertionSigned = Buffer.concat([
      assertionData,
      sha256(Buffer.from(assertion.response.clientDataJSON, 'base64url')),
    ]);
    expect(verify('sha256', assertionSigned, leafKey, Buffer.from(assertion.response.signature, 'base64url'))).toBe(
      true,
    );
  });
});
