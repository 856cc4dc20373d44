import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { MetadataService, SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAsset } from '../../assets.js';
import { pemCertificates } from '../../crypto/x509/certificate.js';
import { entryFromStatement } from '../../attestation/webauthn/metadata/statement.js';
import { SimulatedAuthenticator, type SimulatedAuthenticatorOptions } from './authenticator.js';
import { metadataStatement } from './metadata-statements.js';
import { SIMULATED_MODELS, ZERO_AAGUID, type SimulatedModel } from './models.js';
import { webauthnSimulatorAnchors, webauthnSimulatorMetadataFolder } from './roots.js';
import { selfSignedAuthority, toDer } from '../certificates.js';

const shipped = (name: string) => pemCertificates(readAsset(`simulator/${name}.pem`))[0]!;
const folder = webauthnSimulatorMetadataFolder();
const committed = (model: SimulatedModel) =>
  JSON.parse(readFileSync(join(folder, `${model}.json`), 'utf8')) as Record<string, unknown>;
const MODELS = Object.keys(SIMULATED_MODELS) as SimulatedModel[];

describe('committed WebAuthn simulator assets', () => {
  it('metadata statements are what the generator makes from the committed roots (no drift)', () => {
    expect(readdirSync(folder).sort()).toEqual(MODELS.map((model) => `${model}.json`).sort());
    const roots = {
      webauthn: shipped('webauthn-root'),
      android: shipped('android-root'),
      apple: shipped('webauthn-apple-root'),
      u2fCertificate: shipped('webauthn-u2f-attestation'),
    };
    for (const model of MODELS) expect(committed(model)).toEqual(metadataStatement(model, roots));
  });

  it('each statement names its model and the root its attestations chain to', () => {
    const roots: Record<SimulatedModel, string[]> = {
      packed: [shipped('webauthn-root').toString('base64')],
      'packed-self': [],
      tpm: [shipped('webauthn-root').toString('base64')],
      'android-key': [shipped('android-root').toString('base64')],
      apple: [shipped('webauthn-apple-root').toString('base64')],
      'fido-u2f': [shipped('webauthn-root').toString('base64')],
      none: [],
    };
    for (const model of MODELS) {
      const statement = committed(model);
      expect(statement.description).toBe(`Keyward simulator ${model === 'packed-self' ? 'packed self' : model}`);
      expect(statement.attestationRootCertificates).toEqual(roots[model]);
      expect(statement.attestationTypes).toEqual(SIMULATED_MODELS[model].attestationTypes);
      if (model !== 'fido-u2f') expect(statement.aaguid).toBe(SIMULATED_MODELS[model].aaguid);
    }
    const aaguids = MODELS.filter((model) => model !== 'fido-u2f').map((model) => SIMULATED_MODELS[model].aaguid);
    expect(new Set(aaguids).size).toBe(aaguids.length);
    expect(aaguids).not.toContain(ZERO_AAGUID);
  });

  it('the U2F statement is keyed by the SHA-1 of the attestation certificate public key bits', () => {
    // For an EC key the subjectPublicKey BIT STRING holds the uncompressed point: hash it from the PEM directly.
    const certificate = new x509.X509Certificate(shipped('webauthn-u2f-attestation'));
    const jwkless = Buffer.from(certificate.publicKey.rawData);
    const point = jwkless.subarray(jwkless.length - 65);
    expect(point[0]).toBe(0x04);
    expect(
      (committed('fido-u2f') as { attestationCertificateKeyIdentifiers: string[] })
        .attestationCertificateKeyIdentifiers,
    ).toEqual([createHash('sha1').update(point).digest('hex')]);
    expect(committed('fido-u2f').aaguid).toBeUndefined();
  });

  it("Keyward's metadata folder parser reads every statement", () => {
    for (const model of MODELS) {
      const entry = entryFromStatement(committed(model), `${model}.json`);
      expect(entry.description).toBe(committed(model).description);
      if (model === 'fido-u2f') expect(entry.attestationCertificateKeyIdentifiers).toHaveLength(1);
      else expect(entry.aaguid).toBe(SIMULATED_MODELS[model].aaguid);
    }
  });

  it('anchors per format are the committed roots, named SIMULATOR', () => {
    const anchors = webauthnSimulatorAnchors();
    const expected: Record<keyof typeof anchors, Buffer> = {
      packed: shipped('webauthn-root'),
      tpm: shipped('webauthn-root'),
      'fido-u2f': shipped('webauthn-root'),
      'android-key': shipped('android-root'),
      apple: shipped('webauthn-apple-root'),
    };
    for (const [format, list] of Object.entries(anchors) as [keyof typeof anchors, typeof anchors.packed][]) {
      expect(list).toHaveLength(1);
      expect(list[0]!.name).toMatch(/^SIMULATOR /);
      expect(Buffer.from(list[0]!.certificate.der)).toEqual(expected[format]);
    }
  });

  it('private keys are marked TEST ONLY', () => {
    for (const name of ['webauthn-root', 'webauthn-apple-root', 'webauthn-u2f-attestation'])
      expect(readAsset(`simulator/${name}.key.pem`)).toMatch(/^TEST ONLY/);
  });
});

describe('SimpleWebAuthn trusts the simulator through its metadata statements alone', () => {
  beforeAll(async () => {
    // Format roots that vouch for nothing here: only the statements' roots can make a chain trusted.
    const unrelated = new Uint8Array(
      toDer(
        (
          await selfSignedAuthority('CN=Unrelated Root', 'EC-P256', {
            notBefore: new Date('2020-01-01T00:00:00Z'),
            notAfter: new Date('2050-01-01T00:00:00Z'),
          })
        ).certificate,
      ),
    );
    for (const identifier of ['packed', 'tpm'] as const)
      SettingsService.setRootCertificates({ identifier, certificates: [unrelated] });
    await MetadataService.initialize({
      mdsServers: [],
      statements: MODELS.filter((model) => model !== 'fido-u2f').map((model) => committed(model) as never),
      verificationMode: 'strict',
    });
  });

  const register = async (options: SimulatedAuthenticatorOptions) => {
    const authenticator = await SimulatedAuthenticator.create(options);
    const challenge = randomBytes(32);
    const response = await authenticator.register({
      rpId: 'keyward.example',
      origin: 'https://keyward.example',
      challenge,
      user: { id: randomBytes(16) },
    });
    return verifyRegistrationResponse({
      response: response as never,
      expectedChallenge: challenge.toString('base64url'),
      expectedOrigin: 'https://keyward.example',
      expectedRPID: 'keyward.example',
      supportedAlgorithmIDs: [-7, -35, -37, -257, -8],
    });
  };

  it.each([
    { format: 'packed' },
    { format: 'packed', algorithm: 'RS256' },
    { format: 'tpm' },
    { format: 'tpm', algorithm: 'ES256' },
  ] as SimulatedAuthenticatorOptions[])('%o verifies against its statement', async (options) => {
    const result = await register(options);
    expect(result.verified).toBe(true);
    expect(result.registrationInfo!.aaguid).toBe(SIMULATED_MODELS[options.format].aaguid);
  });

  it('a chain to another root under the same AAGUID is refused', async () => {
    await expect(register({ format: 'packed', roots: 'generated' })).rejects.toThrow(/trust anchor/);
    await expect(register({ format: 'tpm', roots: 'generated' })).rejects.toThrow(/trust anchor/);
  });

  it('an AAGUID without a statement is refused in strict mode', async () => {
    await expect(register({ format: 'packed', aaguid: '6b657977-6172-4400-8000-0000000000ff' })).rejects.toThrow(
      /No metadata statement/,
    );
  });
});
