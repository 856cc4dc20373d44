import { generateKeyPairSync, sign } from 'node:crypto';
import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { expectRejection, outcome } from '../../../test/helpers/outcome.js';
import {
  ALGORITHMS,
  type AlgorithmName,
  authenticatorData,
  CHALLENGE,
  clientDataJSON,
  credential,
  ORIGIN,
  sha256,
  type AuthDataParts,
} from '../../../test/webauthn/credentials.js';
import { parseAssertionResponse } from './response-json.js';
import type { AssertionInput } from './response-json.js';
import { FLAGS } from './types.js';
import { type AssertionExpectations, type StoredCredential, verifyAssertion } from './verify-assertion.js';

const { UP, UV, BE, BS, ED } = FLAGS;
const EXPECT: AssertionExpectations = {
  challenge: CHALLENGE,
  origins: [ORIGIN],
  rpId: 'example.com',
  requireUserVerification: true,
};
const CREDENTIAL_ID = Buffer.alloc(16, 9);

interface AssertionOptions {
  name?: AlgorithmName;
  authData?: Partial<AuthDataParts>;
  clientData?: Record<string, unknown>;
  /** Replaces what gets signed. */
  signed?: (authData: Buffer, clientData: Buffer) => Buffer;
  signature?: Uint8Array;
}

/** An assertion as an authenticator and browser make it, signed with the algorithm's test credential. */
function assertion(options: AssertionOptions = {}): AssertionInput {
  const made = credential(options.name ?? 'ES256');
  const authData = authenticatorData({ flags: UP | UV, counter: 5, ...options.authData });
  const clientData = clientDataJSON(options.clientData);
  const signed = options.signed?.(authData, clientData) ?? Buffer.concat([authData, sha256(clientData)]);
  return {
    id: CREDENTIAL_ID.toString('base64url'),
    rawId: CREDENTIAL_ID,
    clientDataJSON: clientData,
    authenticatorData: authData,
    signature: options.signature ?? made.sign(signed),
  };
}

const stored = (name: AlgorithmName = 'ES256', counter = 4): StoredCredential => ({
  publicKey: credential(name).cose,
  counter,
});

const verify = (
  input: AssertionInput,
  expect: Partial<AssertionExpectations> = {},
  storedCredential: StoredCredential = stored(),
) => verifyAssertion(input, { ...EXPECT, ...expect }, storedCredential);

describe('verifyAssertion', () => {
  it.each(Object.keys(ALGORITHMS) as AlgorithmName[])('verifies an assertion signed with %s', (name) => {
    expect(verify(assertion({ name }), {}, stored(name))).toEqual({
      counter: 5,
      counterRegressed: false,
      flags: UP | UV,
      userVerified: true,
      backupEligible: false,
      backedUp: false,
    });
  });

  it('works end to end from the PublicKeyCredential.toJSON() shape', () => {
    const input = assertion();
    const json = {
      id: input.id,
      rawId: input.id,
      type: 'public-key',
      response: {
        clientDataJSON: Buffer.from(input.clientDataJSON).toString('base64url'),
        authenticatorData: Buffer.from(input.authenticatorData).toString('base64url'),
        signature: Buffer.from(input.signature).toString('base64url'),
        userHandle: Buffer.from('user').toString('base64url'),
      },
      clientExtensionResults: {},
    };
    expect(verify(parseAssertionResponse(json)).counter).toBe(5);
  });

  it('checks the client data: type webauthn.get, the challenge, the origin', () => {
    expectRejection(
      () => verify(assertion({ clientData: { type: 'webauthn.create' } })),
      'CONTENT',
      'CLIENT_DATA_TYPE_MISMATCH',
    );
    expectRejection(
      () => verify(assertion(), { challenge: Buffer.alloc(32) }),
      'CONTENT',
      'WEBAUTHN_CHALLENGE_MISMATCH',
    );
    expectRejection(
      () => verify(assertion({ clientData: { origin: 'https://evil.example' } })),
      'TRUST',
      'ORIGIN_MISMATCH',
    );
    expectRejection(() => verify(assertion({ clientData: { crossOrigin: true } })), 'TRUST', 'CROSS_ORIGIN_REFUSED');
  });

  it('checks the RP ID hash', () => {
    expectRejection(() => verify(assertion({ authData: { rpId: 'evil.example' } })), 'TRUST', 'RP_ID_MISMATCH');
    expectRejection(() => verify(assertion(), { rpId: 'login.example.com' }), 'TRUST', 'RP_ID_MISMATCH');
  });

  it('requires user presence always, user verification when asked', () => {
    expectRejection(() => verify(assertion({ authData: { flags: UV } })), 'TRUST', 'USER_PRESENCE_MISSING');
    expectRejection(() => verify(assertion({ authData: { flags: UP } })), 'TRUST', 'USER_VERIFICATION_MISSING');
    const unverified = verify(assertion({ authData: { flags: UP } }), { requireUserVerification: false });
    expect(unverified.userVerified).toBe(false);
  });

  it('reports the backup flags and refuses backed up without backup eligible', () => {
    const synced = verify(assertion({ authData: { flags: UP | UV | BE | BS } }));
    expect(synced).toMatchObject({ backupEligible: true, backedUp: true });
    expectRejection(() => verify(assertion({ authData: { flags: UP | UV | BS } })), 'CONTENT', 'BACKUP_STATE_INVALID');
  });

  it('refuses a change of backup eligibility when the stored one is given', () => {
    const credentialWith = (backupEligible: boolean) => ({ ...stored(), backupEligible });
    expect(verify(assertion({ authData: { flags: UP | UV | BE } }), {}, credentialWith(true)).backupEligible).toBe(
      true,
    );
    expect(verify(assertion(), {}, credentialWith(false)).backupEligible).toBe(false);
    expectRejection(
      () => verify(assertion({ authData: { flags: UP | UV | BE } }), {}, credentialWith(false)),
      'TRUST',
      'BACKUP_ELIGIBILITY_CHANGED',
    );
    expectRejection(() => verify(assertion(), {}, credentialWith(true)), 'TRUST', 'BACKUP_ELIGIBILITY_CHANGED');
  });

  it('returns authenticator extensions and the reported top origin', () => {
    const result = verify(
      assertion({
        authData: { flags: UP | UV | ED, suffix: encode(new Map([['devicePubKey', 1]])) },
        clientData: { topOrigin: ORIGIN },
      }),
    );
    expect(result.extensions).toEqual(new Map([['devicePubKey', 1]]));
    expect(result.topOrigin).toBe(ORIGIN);
  });

  describe('the signature', () => {
    const invalid = (input: AssertionInput, credentialRecord?: StoredCredential) =>
      expectRejection(() => verify(input, {}, credentialRecord), 'TRUST', 'CREDENTIAL_SIGNATURE_INVALID');

    it('must be by the stored key', () => {
      invalid(assertion(), stored('ES384'));
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const input = assertion();
      invalid({
        ...input,
        signature: sign(
          'sha256',
          Buffer.concat([input.authenticatorData, sha256(input.clientDataJSON)]),
          other.privateKey,
        ),
      });
    });

    it('must cover exactly authenticatorData ‖ SHA-256(clientDataJSON)', () => {
      invalid(assertion({ signed: (authData, clientData) => Buffer.concat([authData, clientData]) }));
      invalid(assertion({ signed: (_, clientData) => sha256(clientData) }));
      invalid(
        assertion({ signed: (authData, clientData) => Buffer.concat([authData, sha256(clientData), Buffer.of(0)]) }),
      );
      // Signed for counter 5, sent with counter 6.
      const input = assertion();
      const raised = Buffer.from(input.authenticatorData);
      raised[36] = 6;
      invalid({ ...input, authenticatorData: raised });
      // Signed over other client data with the same challenge and origin.
      const otherClientData = clientDataJSON({ other: 'member' });
      invalid({ ...input, clientDataJSON: otherClientData });
    });

    it('is DER for ECDSA, and nothing else verifies', () => {
      const input = assertion();
      const made = credential('ES256');
      const signed = Buffer.concat([input.authenticatorData, sha256(input.clientDataJSON)]);
      invalid({ ...input, signature: sign('sha256', signed, { key: made.privateKey, dsaEncoding: 'ieee-p1363' }) });
      invalid({ ...input, signature: new Uint8Array(0) });
      invalid({ ...input, signature: Buffer.from(input.signature).subarray(1) });
    });

    it('does not verify under another RSA padding than the stored algorithm', () => {
      // The PS256 credential shares the RS256 credential's RSA key: a PKCS#1 signature is not a PS256 one.
      invalid(assertion({ name: 'RS256' }), stored('PS256'));
      invalid(assertion({ name: 'PS256' }), stored('RS256'));
    });
  });

  describe('the counter', () => {
    const regressed = (newCounter: number, storedCounter: number) =>
      verify(assertion({ authData: { counter: newCounter } }), {}, stored('ES256', storedCounter)).counterRegressed;

    it('is fine when it increases or when both counters are zero', () => {
      expect(regressed(5, 4)).toBe(false);
      expect(regressed(1, 0)).toBe(false);
      expect(regressed(0, 0)).toBe(false);
      expect(regressed(0xffffffff, 0xfffffffe)).toBe(false);
    });

    it('regresses when it does not increase while either counter is non-zero (WebAuthn §7.2 step 22)', () => {
      expect(regressed(5, 5)).toBe(true);
      expect(regressed(3, 5)).toBe(true);
      expect(regressed(0, 5)).toBe(true);
    });

    it('is returned for the caller to store', () => {
      expect(verify(assertion({ authData: { counter: 0x01020304 } }), {}, stored('ES256', 0)).counter).toBe(0x01020304);
    });
  });

  it('refuses a stored key that does not parse', () => {
    expect(outcome(() => verify(assertion(), {}, { publicKey: encode(new Map([[1, 2]])), counter: 0 }))).toBe(
      'CONTENT COSE_KEY_MALFORMED',
    );
  });

  it('reuses the imported key: the same stored bytes verify again, other bytes get their own key', () => {
    for (let round = 0; round < 3; round++) expect(verify(assertion()).counter).toBe(5);
    expect(verify(assertion({ name: 'EdDSA' }), {}, stored('EdDSA')).counter).toBe(5);
    expectRejection(() => verify(assertion({ name: 'EdDSA' })), 'TRUST', 'CREDENTIAL_SIGNATURE_INVALID');
  });
});
