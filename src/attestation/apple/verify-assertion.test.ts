import { createPublicKey } from 'node:crypto';
import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { verifyAppleAssertion } from './verify-assertion.js';
import { AppleVerifier } from './verify.js';
import { importSpki } from '../../crypto/keys.js';
import { expectRejection } from '../../../test/helpers/outcome.js';
import { options } from '../../../test/helpers/apple.js';
import {
  DEVICECHECK_APP_ID,
  NODE_APP_ATTEST_APP_ID,
  devicecheckVectors,
  nodeAppAttestAssertion,
} from '../../../test/helpers/apple-vectors.js';

const vectors = devicecheckVectors();
const attested = options({ appIds: [DEVICECHECK_APP_ID], environment: 'development' });

describe('App Attest assertion: real devices', () => {
  for (const vector of vectors) {
    it(`verifies the ${vector.name} assertion with the key its attestation vouched for`, () => {
      const attestation = new AppleVerifier(attested).verify({
        attestation: vector.attestation,
        clientData: vector.clientData,
        at: vector.timestamp,
      });
      const key = {
        publicKey: importSpki(Buffer.from(attestation.publicKey.spki, 'base64')),
        appId: attestation.app.ids[0]!,
        counter: attestation.counter!,
      };
      const verified = verifyAppleAssertion(
        { assertion: vector.assertion.assertion, clientData: vector.assertion.clientData },
        key,
      );
      expect(verified).toEqual({ counter: vector.assertion.counter, appId: DEVICECHECK_APP_ID });
    });
  }

  it("verifies node-app-attest's assertion", () => {
    const vector = nodeAppAttestAssertion();
    expect(vector.appId).toBe(NODE_APP_ATTEST_APP_ID);
    const verified = verifyAppleAssertion(
      { assertion: vector.assertion, clientData: vector.clientData },
      { publicKey: createPublicKey(vector.publicKeyPem), appId: vector.appId, counter: 0 },
    );
    expect(verified.counter).toBe(vector.counter);
  });
});

describe('App Attest assertion: rejections', () => {
  const vector = vectors[0]!;
  const key = { publicKey: createPublicKey(vector.publicKeyPem), appId: DEVICECHECK_APP_ID, counter: 0 };
  const input = { assertion: vector.assertion.assertion, clientData: vector.assertion.clientData };

  it('rejects a replayed counter: equal to or below the stored one', () => {
    expectRejection(
      () => verifyAppleAssertion(input, { ...key, counter: vector.assertion.counter }),
      'TRUST',
      'COUNTER_NOT_INCREASING',
    );
    expectRejection(
      () => verifyAppleAssertion(input, { ...key, counter: vector.assertion.counter + 5 }),
      'TRUST',
      'COUNTER_NOT_INCREASING',
    );
    expect(verifyAppleAssertion(input, { ...key, counter: vector.assertion.counter - 1 }).counter).toBe(
      vector.assertion.counter,
    );
  });

  it('rejects other client data and another key', () => {
    expectRejection(
      () => verifyAppleAssertion({ ...input, clientData: Buffer.from('other') }, key),
      'TRUST',
      'ASSERTION_SIGNATURE_INVALID',
    );
    expectRejection(
      () => verifyAppleAssertion(input, { ...key, publicKey: createPublicKey(vectors[1]!.publicKeyPem) }),
      'TRUST',
      'ASSERTION_SIGNATURE_INVALID',
    );
  });

  it('rejects an assertion for another app', () => {
    expectRejection(
      () => verifyAppleAssertion(input, { ...key, appId: 'ABCDE12345.com.example.other' }),
      'TRUST',
      'APP_ID_MISMATCH',
    );
  });

  it('rejects malformed assertion objects', () => {
    const signature = new Uint8Array(70);
    const malformed = [
      encode(new Map<string, unknown>([['signature', signature]])),
      encode(
        new Map<string, unknown>([
          ['signature', signature],
          ['authenticatorData', new Uint8Array(36)],
        ]),
      ),
      encode(
        new Map<string, unknown>([
          ['signature', 'text'],
          ['authenticatorData', new Uint8Array(37)],
        ]),
      ),
      encode(
        new Map<string, unknown>([
          ['signature', signature],
          ['authenticatorData', new Uint8Array(37)],
          ['extra', 1],
        ]),
      ),
      encode([signature, new Uint8Array(37)]),
      new Uint8Array(5000),
    ];
    for (const assertion of malformed)
      expectRejection(() => verifyAppleAssertion({ ...input, assertion }, key), 'CONTENT', 'APPLE_ASSERTION_MALFORMED');
  });
});
