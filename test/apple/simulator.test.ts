import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'cbor2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAppleAssertion } from '../../src/attestation/apple/verify-assertion.js';
import {
  AppleVerifier,
  type AppleAttestationInput,
  type AppleVerifierOptions,
} from '../../src/attestation/apple/verify.js';
import { ecPoint, importSpki } from '../../src/crypto/keys.js';
import { SimulatedAppleDevice, type SimulatedAttestationOptions } from '../../src/simulator/apple/device.js';
import { AppleTestAuthority } from '../../src/simulator/apple/test-authority.js';
import { expectRejection } from '../helpers/outcome.js';
import { decodeAttestation, encodeAttestation, options, trustingOptions, verifier } from '../helpers/apple.js';

const APP_ID = 'ABCDE12345.org.keyward.simulated';
const AT = Date.parse('2026-03-01T10:00:00Z');
const CLIENT_DATA = Buffer.from('server challenge and request hash', 'utf8');

let authority: AppleTestAuthority;
let device: SimulatedAppleDevice;
let trusted: AppleVerifierOptions;
const work = mkdtempSync(join(tmpdir(), 'keyward-apple-sim-'));

beforeAll(async () => {
  authority = await AppleTestAuthority.create();
  device = await SimulatedAppleDevice.create(authority, { appId: APP_ID });
  trusted = trustingOptions(authority, { appIds: [APP_ID], environment: 'any' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const attestWith = async (
  attestation: Partial<SimulatedAttestationOptions> = {},
  input: Partial<AppleAttestationInput> = {},
  with_ = () => trusted,
) =>
  new AppleVerifier(with_()).verify({
    attestation: await device.attest(CLIENT_DATA, { at: AT, ...attestation }),
    clientData: CLIENT_DATA,
    at: AT,
    ...input,
  });

describe('simulated App Attest device: trust', () => {
  it('is verified only when its test roots are given', async () => {
    const attestation = await device.attest(CLIENT_DATA, { at: AT });
    const input = { attestation, clientData: CLIENT_DATA, keyId: device.keyId, at: AT };
    expectRejection(() => verifier({ appIds: [APP_ID], environment: 'any' }).verify(input), 'TRUST', 'UNTRUSTED_ROOT');
    expectRejection(
      () => verifier({ appIds: [APP_ID], environment: 'any' }, { extraAnchors: authority.anchors() }).verify(input),
      'TRUST',
      'RECEIPT_UNTRUSTED',
    );
    const result = new AppleVerifier(trusted).verify(input);
    expect(result.facts.keyId).toBe(device.keyId.toString('base64'));
    expect(result.anchor).toMatch(/^Keyward test App Attestation root/);
    expect(result.facts.receipt?.anchor).toMatch(/^Keyward test receipt root/);
    expect(
      Buffer.from(result.publicKey.spki, 'base64').equals(device.publicKey.export({ format: 'der', type: 'spki' })),
    ).toBe(true);
  });

  it('is trusted through root files in configuration, as a deployment would do it', async () => {
    const root = join(work, 'root.pem');
    const receiptRoot = join(work, 'receipt-root.pem');
    writeFileSync(root, authority.rootPem);
    writeFileSync(receiptRoot, authority.receiptRootPem);
    const configured = options({
      appIds: [APP_ID],
      environment: 'development',
      appleRoots: false,
      extraRootFiles: [root],
      extraReceiptRootFiles: [receiptRoot],
    });
    expect((await attestWith({}, {}, () => configured)).facts.receiptChecked).toBe(true);
  });

  it('rejects a receipt signed by a certificate without the receipt-signing marker', async () => {
    const unmarked = await AppleTestAuthority.create({ markReceiptSigner: false });
    const other = await SimulatedAppleDevice.create(unmarked, { appId: APP_ID });
    const input = { attestation: await other.attest(CLIENT_DATA, { at: AT }), clientData: CLIENT_DATA, at: AT };
    const with_ = trustingOptions(unmarked, { appIds: [APP_ID], environment: 'any' });
    expectRejection(() => new AppleVerifier(with_).verify(input), 'TRUST', 'RECEIPT_UNTRUSTED');
    expect(new AppleVerifier({ ...with_, receiptAnchors: undefined }).verify(input).facts.receiptChecked).toBe(false);
  });

  it('rejects credCert outside its validity', async () => {
    const attestation = await device.attest(CLIENT_DATA, { at: AT });
    expectRejection(
      () => new AppleVerifier(trusted).verify({ attestation, clientData: CLIENT_DATA, at: AT + 3 * 86_400_000 }),
      'TIME',
      'CERTIFICATE_EXPIRED',
    );
  });
});

describe('simulated App Attest device: authenticator data', () => {
  it('reports the OS version and build, and none for an OS without the extension', async () => {
    const result = await attestWith({ os: { version: '18.1', build: '22B83' } });
    expect(result.osVersion).toBe('18.1');
    expect(result.facts.build).toBe('22B83');
    const old = await attestWith({ os: null });
    expect(old.osVersion).toBeUndefined();
    expect(old.facts.osFields).toBeUndefined();
  });

  it('checks the environment against the aaguid', async () => {
    const production = trustingOptions(authority, { appIds: [APP_ID], environment: 'production' });
    expect((await attestWith({ environment: 'production' }, {}, () => production)).facts.environment).toBe(
      'production',
    );
    await expect(attestWith({ environment: 'development' }, {}, () => production)).rejects.toMatchObject({
      category: 'TRUST',
      code: 'ENVIRONMENT_NOT_ALLOWED',
    });
    await expect(attestWith({ aaguid: Buffer.alloc(16, 0x41) })).rejects.toMatchObject({
      category: 'CONTENT',
      code: 'AAGUID_UNKNOWN',
    });
  });

  it('rejects a non-zero counter, a credentialId other than the key id, and a COSE key other than the attested key', async () => {
    await expect(attestWith({ signCount: 1 })).rejects.toMatchObject({ category: 'CONTENT', code: 'COUNTER_NOT_ZERO' });
    await expect(attestWith({ credentialId: Buffer.alloc(32, 7) })).rejects.toMatchObject({
      category: 'CONTENT',
      code: 'CREDENTIAL_ID_MISMATCH',
    });
    const stranger = ecPoint((await SimulatedAppleDevice.create(authority, { appId: APP_ID })).publicKey);
    const strangerKey = encode(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(stranger.subarray(1, 33))],
        [-3, new Uint8Array(stranger.subarray(33))],
      ]),
    );
    await expect(attestWith({ credentialPublicKey: strangerKey })).rejects.toMatchObject({
      category: 'CONTENT',
      code: 'CREDENTIAL_KEY_MISMATCH',
    });
  });

  it('accepts the attested key in another COSE encoding (no alg, other key order)', async () => {
    const point = ecPoint(device.publicKey);
    const reordered = encode(
      new Map<number, unknown>([
        [-3, new Uint8Array(point.subarray(33))],
        [-2, new Uint8Array(point.subarray(1, 33))],
        [-1, 1],
        [1, 2],
      ]),
    );
    expect((await attestWith({ credentialPublicKey: reordered })).facts.keyId).toBe(device.keyId.toString('base64'));
  });

  it('tolerates bytes after the credential without the extension flag, and decodes flagged extension data', async () => {
    const trailing = await attestWith({ authDataSuffix: Buffer.from('a1636b6579f5', 'hex') });
    expect(trailing.facts.authenticatorData).toEqual({ flags: 0x40, ignoredTrailingBytes: 6 });
    const flagged = await attestWith({ authDataSuffix: Buffer.from('a1636b6579f5', 'hex'), extensionFlag: true });
    expect(flagged.facts.authenticatorData).toEqual({
      flags: 0xc0,
      ignoredTrailingBytes: 0,
      extensions: new Map([['key', true]]),
    });
    await expect(attestWith({ authDataSuffix: Buffer.from('ff', 'hex'), extensionFlag: true })).rejects.toMatchObject({
      category: 'CONTENT',
      code: 'APPLE_ATTESTATION_MALFORMED',
    });
  });

  it('requires a receipt only when receipts are checked', async () => {
    await expect(attestWith({ withoutReceipt: true })).rejects.toMatchObject({
      category: 'CONTENT',
      code: 'RECEIPT_MALFORMED',
    });
    expect(
      (await attestWith({ withoutReceipt: true }, {}, () => ({ ...trusted, receiptAnchors: undefined }))).facts
        .receiptBase64,
    ).toBeUndefined();
  });

  it('rejects an attestation object with unexpected members', async () => {
    const parts = decodeAttestation(await device.attest(CLIENT_DATA, { at: AT }));
    const extra = Buffer.from(
      encode(
        new Map<string, unknown>([
          ['fmt', parts.fmt],
          ['attStmt', new Map()],
          ['authData', new Uint8Array(parts.authData)],
          ['x', 1],
        ]),
      ),
    );
    expectRejection(
      () => new AppleVerifier(trusted).verify({ attestation: extra, clientData: CLIENT_DATA, at: AT }),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
    expect(
      new AppleVerifier(trusted).verify({ attestation: encodeAttestation(parts), clientData: CLIENT_DATA, at: AT })
        .counter,
    ).toBe(0);
  });
});

describe('simulated App Attest device: assertions', () => {
  it('counts up, and a repeated or lower counter is rejected', async () => {
    const phone = await SimulatedAppleDevice.create(authority, { appId: APP_ID });
    const attestation = new AppleVerifier(trusted).verify({
      attestation: await phone.attest(CLIENT_DATA, { at: AT }),
      clientData: CLIENT_DATA,
      at: AT,
    });
    const key = { publicKey: importSpki(Buffer.from(attestation.publicKey.spki, 'base64')), appId: APP_ID, counter: 0 };
    const request = (n: number) => Buffer.from(`request ${n}`);
    let counter = 0;
    for (let n = 1; n <= 3; n++) {
      counter = verifyAppleAssertion(
        { assertion: phone.assert(request(n)), clientData: request(n) },
        { ...key, counter },
      ).counter;
      expect(counter).toBe(n);
    }
    const replay = phone.assert(request(4), { counter: 3 });
    expectRejection(
      () => verifyAppleAssertion({ assertion: replay, clientData: request(4) }, { ...key, counter }),
      'TRUST',
      'COUNTER_NOT_INCREASING',
    );
    const jump = phone.assert(request(5), { counter: 100 });
    expect(verifyAppleAssertion({ assertion: jump, clientData: request(5) }, { ...key, counter }).counter).toBe(100);
    const elsewhere = phone.assert(request(6), { appId: 'ABCDE12345.org.keyward.other' });
    expectRejection(
      () => verifyAppleAssertion({ assertion: elsewhere, clientData: request(6) }, { ...key, counter: 100 }),
      'TRUST',
      'APP_ID_MISMATCH',
    );
  });
});
