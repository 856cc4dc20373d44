import { createHash, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppleVerifier, type AppleAttestationInput } from './verify.js';
import { expectRejection } from '../../../test/helpers/outcome.js';
import {
  credentialValidity,
  decodeAttestation,
  encodeAttestation,
  options,
  verifier,
} from '../../../test/helpers/apple.js';
import {
  DEVICECHECK_APP_ID,
  NODE_APP_ATTEST_APP_ID,
  devicecheckVectors,
  nodeAppAttestVectors,
} from '../../../test/helpers/apple-vectors.js';

const devicecheck = devicecheckVectors();
const nodeAppAttest = nodeAppAttestVectors();
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/**
 * node-app-attest records no attestation time; these are the creation times in the vectors' own
 * receipts (field 12), inside both credCert's and the receipt signer's validity.
 */
const NODE_APP_ATTEST_AT = {
  development: Date.parse('2024-02-04T20:27:06.193Z'),
  production: Date.parse('2024-02-07T21:08:56.308Z'),
};

const development = options({ appIds: [DEVICECHECK_APP_ID], environment: 'development' });
const first = devicecheck[0]!;
const verifyFirst = (overrides: Partial<AppleAttestationInput> = {}, with_ = development) =>
  new AppleVerifier(with_).verify({
    attestation: first.attestation,
    clientData: first.clientData,
    keyId: first.keyId,
    at: first.timestamp,
    ...overrides,
  });

describe('App Attest attestation: real devices (devicecheck-appattest, iOS 14)', () => {
  it('has all seven vectors', () => {
    expect(devicecheck.map((vector) => vector.name)).toHaveLength(7);
  });

  for (const vector of devicecheck) {
    it(`verifies ${vector.name} at its recorded time`, () => {
      const result = new AppleVerifier(development).verify({
        attestation: vector.attestation,
        clientData: vector.clientData,
        keyId: vector.keyId,
        at: vector.timestamp,
      });
      const expectedKey = createPublicKey(vector.publicKeyPem);
      expect(result.platform).toBe('apple');
      expect(result.securityLevel).toBe('secure-enclave');
      expect(result.app.ids).toEqual([DEVICECHECK_APP_ID]);
      expect(result.counter).toBe(0);
      expect(result.anchor).toMatch(/^Apple App Attestation Root CA: /);
      expect(result.publicKey.spki).toBe(expectedKey.export({ format: 'der', type: 'spki' }).toString('base64'));
      expect(result.publicKey.jwk).toEqual(expectedKey.export({ format: 'jwk' }));
      expect(result.osVersion).toBe(vector.iOSVersion);
      expect(result.facts.keyId).toBe(vector.keyId.toString('base64'));
      expect(result.facts.environment).toBe('development');
      expect(result.facts.receiptChecked).toBe(true);
      expect(result.facts.receipt).toMatchObject({
        type: 'ATTEST',
        appId: DEVICECHECK_APP_ID,
        clientHash: sha256(vector.clientData).toString('base64'),
        signer: expect.stringContaining('Application Attestation Fraud Receipt Signing'),
        anchor: expect.stringMatching(/^Apple Root CA - G3: /),
      });
      expect(result.facts.receiptBase64).toBe(
        Buffer.from(decodeAttestation(vector.attestation).receipt).toString('base64'),
      );
    });
  }
});

describe('App Attest attestation: node-app-attest vectors (iOS 17)', () => {
  for (const vector of nodeAppAttest) {
    it(`verifies the ${vector.name} attestation at its receipt's creation time`, () => {
      const result = verifier({ appIds: [NODE_APP_ATTEST_APP_ID], environment: vector.name }).verify({
        attestation: vector.attestation,
        clientData: vector.clientData,
        keyId: vector.keyId,
        at: NODE_APP_ATTEST_AT[vector.name],
      });
      expect(result.facts.keyId).toBe(vector.keyId.toString('base64'));
      expect(result.facts.environment).toBe(vector.name);
      // The OS extension of these certificates, as `openssl asn1parse` shows it: [1400] "17.2.1", [1403] "21C66".
      expect(result.osVersion).toBe('17.2.1');
      expect(result.facts.build).toBe('21C66');
      expect(result.facts.receipt?.creationTime).toBe(new Date(NODE_APP_ATTEST_AT[vector.name]).toISOString());
    });
  }

  it('accepts either environment with "any" and names the one it saw', () => {
    const any = options({ appIds: [NODE_APP_ATTEST_APP_ID], environment: 'any' });
    const seen = nodeAppAttest.map(
      (vector) =>
        new AppleVerifier(any).verify({
          attestation: vector.attestation,
          clientData: vector.clientData,
          at: NODE_APP_ATTEST_AT[vector.name],
        }).facts.environment,
    );
    expect(seen).toEqual(['development', 'production']);
  });
});

describe('App Attest attestation: rejections', () => {
  it('rejects an attestation for another app, and accepts it when its app id is one of several', () => {
    expectRejection(
      () => verifyFirst({}, options({ appIds: ['ABCDE12345.com.example.other'], environment: 'development' })),
      'TRUST',
      'APP_ID_MISMATCH',
    );
    const several = options({
      appIds: ['ABCDE12345.com.example.other', DEVICECHECK_APP_ID],
      environment: 'development',
    });
    expect(verifyFirst({}, several).app.ids).toEqual([DEVICECHECK_APP_ID]);
  });

  it('rejects other client data than the app hashed', () => {
    expectRejection(
      () => verifyFirst({ clientData: Buffer.concat([first.clientData, Buffer.from('x')]) }),
      'CONTENT',
      'NONCE_MISMATCH',
    );
  });

  it('rejects a development attestation where production is required, and the reverse', () => {
    expectRejection(
      () => verifyFirst({}, options({ appIds: [DEVICECHECK_APP_ID], environment: 'production' })),
      'TRUST',
      'ENVIRONMENT_NOT_ALLOWED',
    );
    const production = nodeAppAttest.find((vector) => vector.name === 'production')!;
    expectRejection(
      () =>
        verifier({ appIds: [NODE_APP_ATTEST_APP_ID], environment: 'development' }).verify({
          attestation: production.attestation,
          clientData: production.clientData,
          at: NODE_APP_ATTEST_AT.production,
        }),
      'TRUST',
      'ENVIRONMENT_NOT_ALLOWED',
    );
  });

  it('rejects tampered authenticator data: the nonce no longer matches', () => {
    const parts = decodeAttestation(first.attestation);
    for (const offset of [0, 32, 36, 40, parts.authData.length - 1]) {
      const authData = Buffer.from(parts.authData);
      authData[offset]! ^= 0x01;
      expectRejection(
        () => verifyFirst({ attestation: encodeAttestation({ ...parts, authData }) }),
        'CONTENT',
        'NONCE_MISMATCH',
      );
    }
  });

  it('rejects a key id other than the attested key', () => {
    expectRejection(() => verifyFirst({ keyId: devicecheck[1]!.keyId }), 'CONTENT', 'KEY_ID_MISMATCH');
  });

  it('rejects credCert just outside its validity and accepts it at both ends', () => {
    const { notBefore, notAfter } = credentialValidity(first.attestation);
    expectRejection(() => verifyFirst({ at: notAfter + 1000 }), 'TIME', 'CERTIFICATE_EXPIRED');
    expectRejection(() => verifyFirst({ at: notBefore - 1000 }), 'TIME', 'CERTIFICATE_NOT_YET_VALID');
    expect(verifyFirst({ at: notBefore }).facts.keyId).toBe(first.keyId.toString('base64'));
    expect(verifyFirst({ at: notAfter }).facts.keyId).toBe(first.keyId.toString('base64'));
  });

  it('rejects another attestation format', () => {
    const parts = decodeAttestation(first.attestation);
    expectRejection(
      () => verifyFirst({ attestation: encodeAttestation({ ...parts, fmt: 'apple' }) }),
      'CONTENT',
      'ATTESTATION_FORMAT_UNSUPPORTED',
    );
  });

  it('rejects a credCert signed by someone else than the CA above it', () => {
    const parts = decodeAttestation(first.attestation);
    const credential = Buffer.from(parts.x5c[0]!);
    credential[credential.length - 5]! ^= 0x01; // inside the signature value
    expectRejection(
      () => verifyFirst({ attestation: encodeAttestation({ ...parts, x5c: [credential, parts.x5c[1]!] }) }),
      'TRUST',
      'CERTIFICATE_SIGNATURE_INVALID',
    );
  });

  it('rejects a chain without the CA, and one longer than allowed', () => {
    const parts = decodeAttestation(first.attestation);
    expectRejection(
      () => verifyFirst({ attestation: encodeAttestation({ ...parts, x5c: [parts.x5c[0]!] }) }),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
    const long = encodeAttestation({ ...parts, x5c: [parts.x5c[0]!, parts.x5c[1]!, parts.x5c[1]!, parts.x5c[1]!] });
    expectRejection(() => verifyFirst({ attestation: long }), 'CONTENT', 'CERTIFICATE_CHAIN_TOO_LONG');
  });
});

describe('App Attest attestation: receipts', () => {
  it('rejects the receipt of another attestation (the nonce does not cover the receipt)', () => {
    const parts = decodeAttestation(first.attestation);
    const other = decodeAttestation(devicecheck[1]!.attestation);
    expectRejection(
      () => verifyFirst({ attestation: encodeAttestation({ ...parts, receipt: other.receipt }) }),
      'CONTENT',
      'RECEIPT_MISMATCH',
    );
  });

  it('rejects a receipt whose content was changed, unless receipts are not checked', () => {
    const parts = decodeAttestation(first.attestation);
    const receipt = Buffer.from(parts.receipt);
    const appIdField = receipt.indexOf('de.vincent-haupert'); // the first field of the signed content
    receipt[appIdField]! ^= 0x20; // 'd' → 'D'
    const tampered = encodeAttestation({ ...parts, receipt });
    expectRejection(() => verifyFirst({ attestation: tampered }), 'TRUST', 'RECEIPT_SIGNATURE_INVALID');

    const unchecked = verifyFirst(
      { attestation: tampered },
      options({ appIds: [DEVICECHECK_APP_ID], environment: 'development', checkReceipts: false }),
    );
    expect(unchecked.facts.receiptChecked).toBe(false);
    expect(unchecked.facts.receipt).toBeUndefined();
    expect(unchecked.facts.receiptBase64).toBe(receipt.toString('base64'));
  });

  it('rejects an empty receipt when receipts are checked', () => {
    const parts = decodeAttestation(first.attestation);
    expectRejection(
      () => verifyFirst({ attestation: encodeAttestation({ ...parts, receipt: new Uint8Array(0) }) }),
      'CONTENT',
      'RECEIPT_MALFORMED',
    );
  });
});
