import { createPublicKey } from 'node:crypto';
import { encode } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEmulatedKeyClientData } from '../../src/attestation/apple/emulated-key.js';
import { verifyAppAttestReceipt } from '../../src/attestation/apple/receipt.js';
import { appleRootG3 } from '../../src/config/trust-anchors.js';
import { verifyAppleAssertion } from '../../src/attestation/apple/verify-assertion.js';
import { AppleVerifier } from '../../src/attestation/apple/verify.js';
import { TrustAnchors } from '../../src/crypto/x509/chain.js';
import { KeywardError, type ErrorCategory } from '../../src/errors.js';
import { rejection } from '../helpers/outcome.js';
import { options } from '../helpers/apple.js';
import { DEVICECHECK_APP_ID, devicecheckVectors } from '../helpers/apple-vectors.js';

/**
 * Property tests: whatever bytes arrive, verification ends in a typed KeywardError with a
 * client-side category — never a crash, a hang or an INTERNAL error.
 */
const vector = devicecheckVectors()[0]!;
const attestationOptions = options({ appIds: [DEVICECHECK_APP_ID], environment: 'development' });
const key = { publicKey: createPublicKey(vector.publicKeyPem), appId: DEVICECHECK_APP_ID, counter: 0 };
const receiptAnchors = new TrustAnchors(appleRootG3());

const attest = (attestation: Uint8Array) =>
  new AppleVerifier(attestationOptions).verify({ attestation, clientData: vector.clientData, at: vector.timestamp });
const assert_ = (assertion: Uint8Array) =>
  verifyAppleAssertion({ assertion, clientData: vector.assertion.clientData }, key);

function expectCategory(action: () => unknown, categories: ErrorCategory[]): void {
  expect(categories).toContain(rejection(action).category);
}

/** Anything cbor2 can encode, including maps shaped like an attestation with wrong contents. */
const cborValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.string(),
    fc.uint8Array({ maxLength: 64 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .dictionary(
        fc.constantFrom('fmt', 'attStmt', 'authData', 'x5c', 'receipt', 'signature', 'authenticatorData'),
        tie('value'),
        { maxKeys: 4 },
      )
      .map((record) => new Map(Object.entries(record))),
  ),
})).value;

describe('malformed attestations', () => {
  it('rejects every truncation of a genuine attestation as CONTENT', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: vector.attestation.length - 1 }), (length) => {
        expectCategory(() => attest(vector.attestation.subarray(0, length)), ['CONTENT']);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects random bytes and random CBOR as CONTENT or TRUST', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) =>
        expectCategory(() => attest(bytes), ['CONTENT', 'TRUST']),
      ),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(cborValue, (value) => expectCategory(() => attest(encode(value)), ['CONTENT', 'TRUST'])),
      { numRuns: 400 },
    );
  });

  it('rejects deeply nested CBOR without exhausting the stack', () => {
    const deep = Buffer.alloc(100_000, 0x81);
    expectCategory(() => attest(deep), ['CONTENT']);
    expectCategory(() => assert_(deep.subarray(0, 4000)), ['CONTENT']);
  });

  it('turns any single changed byte into a typed rejection (or, where no signature covers it, a verification)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: vector.attestation.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (offset, mask) => {
          const changed = Buffer.from(vector.attestation);
          changed[offset]! ^= mask;
          try {
            attest(changed);
          } catch (error) {
            expect(error).toBeInstanceOf(KeywardError);
            expect(['CONTENT', 'TRUST', 'TIME']).toContain((error as KeywardError).category);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('malformed assertions, receipts and client data', () => {
  it('rejects truncated and random assertions as CONTENT or TRUST', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: vector.assertion.assertion.length - 1 }), (length) =>
        expectCategory(() => assert_(vector.assertion.assertion.subarray(0, length)), ['CONTENT']),
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        expectCategory(() => assert_(bytes), ['CONTENT', 'TRUST']),
      ),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(cborValue, (value) => expectCategory(() => assert_(encode(value)), ['CONTENT', 'TRUST'])),
      { numRuns: 400 },
    );
  });

  it('rejects truncated and random receipts as CONTENT or TRUST', () => {
    const { receipt, timestamp } = vector.receipts[0]!;
    const verify = (bytes: Uint8Array) =>
      verifyAppAttestReceipt(bytes, { anchors: receiptAnchors, at: timestamp, maxChainLength: 3 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: receipt.length - 1 }), (length) =>
        expectCategory(() => verify(receipt.subarray(0, length)), ['CONTENT']),
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) =>
        expectCategory(() => verify(bytes), ['CONTENT', 'TRUST']),
      ),
      { numRuns: 400 },
    );
  });

  it('rejects arbitrary emulated-key client data as CONTENT', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('latin1')),
        ),
        (text) =>
          expectCategory(() => parseEmulatedKeyClientData(Buffer.from(text, 'latin1'), Buffer.alloc(32)), ['CONTENT']),
      ),
      { numRuns: 400 },
    );
  });
});
