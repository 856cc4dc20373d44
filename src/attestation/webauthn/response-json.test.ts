import { parseAuthenticatorData as simpleWebAuthnAuthenticatorData } from '@simplewebauthn/server/helpers';
import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../../test/helpers/outcome.js';
import { readVector } from '../../../test/helpers/vectors.js';
import { decodeAttestationObject } from './attestation-object.js';
import { COSE_ALGORITHMS } from './cose-key.js';
import { parseAssertionResponse, parseRegistrationResponse } from './response-json.js';

type Json = Record<string, unknown> & { response: Record<string, unknown> };

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const RAW_ID = Buffer.from([0xfb, 0xef, 0xff, 0x00, 0x10, 0x3e, 0x3f, 0x7f, 0xfe]);
const CLIENT_DATA = Buffer.from('{"type":"webauthn.create"}');
const ATTESTATION_OBJECT = Buffer.from([0xa0, 0x01, 0xfe, 0xff]);
const AUTHENTICATOR_DATA = Buffer.alloc(37, 3);
const SIGNATURE = Buffer.from([0x30, 0x06, 0xff, 0xfe, 0xfd]);
const USER_HANDLE = Buffer.from('user handle ~~~');

/** RegistrationResponseJSON as PublicKeyCredential.toJSON() writes it. */
const browserRegistration = (): Json => ({
  id: b64url(RAW_ID),
  rawId: b64url(RAW_ID),
  type: 'public-key',
  response: {
    clientDataJSON: b64url(CLIENT_DATA),
    attestationObject: b64url(ATTESTATION_OBJECT),
    authenticatorData: b64url(AUTHENTICATOR_DATA),
    transports: ['hybrid', 'internal'],
    publicKey: 'MFkw',
    publicKeyAlgorithm: -7,
  },
  authenticatorAttachment: 'platform',
  clientExtensionResults: { credProps: { rk: true } },
});

/** ServerAuthenticatorAttestationResponse as the FIDO conformance tools send it. */
const conformanceRegistration = (): Json => ({
  id: b64url(RAW_ID),
  type: 'public-key',
  response: { clientDataJSON: b64url(CLIENT_DATA), attestationObject: b64url(ATTESTATION_OBJECT) },
  getClientExtensionResults: {},
});

const browserAssertion = (): Json => ({
  id: b64url(RAW_ID),
  rawId: b64url(RAW_ID),
  type: 'public-key',
  response: {
    clientDataJSON: b64url(CLIENT_DATA),
    authenticatorData: b64url(AUTHENTICATOR_DATA),
    signature: b64url(SIGNATURE),
    userHandle: b64url(USER_HANDLE),
  },
  authenticatorAttachment: 'cross-platform',
  clientExtensionResults: {},
});

const refusedRegistration = (json: unknown, field: string) => {
  const error = expectRejection(() => parseRegistrationResponse(json), 'CONTENT', 'RESPONSE_MALFORMED');
  expect(error.detail).toMatch(new RegExp(`^${field.replace('.', '\\.')} `));
};
const refusedAssertion = (json: unknown, field: string) => {
  const error = expectRejection(() => parseAssertionResponse(json), 'CONTENT', 'RESPONSE_MALFORMED');
  expect(error.detail).toMatch(new RegExp(`^${field.replace('.', '\\.')} `));
};
const changed = <T extends Json>(json: T, change: (copy: T) => void): T => {
  const copy = structuredClone(json);
  change(copy);
  return copy;
};

describe('parseRegistrationResponse', () => {
  it('reads the PublicKeyCredential.toJSON() shape', () => {
    expect(parseRegistrationResponse(browserRegistration())).toEqual({
      id: b64url(RAW_ID),
      rawId: RAW_ID,
      clientDataJSON: CLIENT_DATA,
      attestationObject: ATTESTATION_OBJECT,
      transports: ['hybrid', 'internal'],
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
    });
  });

  it('reads the FIDO conformance shape (no rawId, getClientExtensionResults)', () => {
    expect(parseRegistrationResponse(conformanceRegistration())).toEqual({
      id: b64url(RAW_ID),
      rawId: RAW_ID,
      clientDataJSON: CLIENT_DATA,
      attestationObject: ATTESTATION_OBJECT,
      clientExtensionResults: {},
    });
  });

  it('tolerates padding and the standard base64 alphabet, and returns the id canonical', () => {
    const json = changed(browserRegistration(), (copy) => {
      copy.id = RAW_ID.toString('base64');
      copy.rawId = `${b64url(RAW_ID)}==`.slice(0, Math.ceil(b64url(RAW_ID).length / 4) * 4);
      copy.response.clientDataJSON = CLIENT_DATA.toString('base64');
    });
    expect(json.id).toMatch(/[+/]/);
    const parsed = parseRegistrationResponse(json);
    expect(parsed.id).toBe(b64url(RAW_ID));
    expect(parsed.rawId).toEqual(RAW_ID);
    expect(parsed.clientDataJSON).toEqual(CLIENT_DATA);
  });

  it('takes the id from rawId alone', () => {
    const json = changed(browserRegistration(), (copy) => {
      delete (copy as Partial<Json>).id;
    });
    expect(parseRegistrationResponse(json).id).toBe(b64url(RAW_ID));
  });

  it('refuses an id that is not base64url(rawId)', () => {
    refusedRegistration(
      changed(browserRegistration(), (copy) => {
        copy.id = b64url(Buffer.concat([RAW_ID, Buffer.of(0)]));
      }),
      'id',
    );
  });

  it('drops an authenticatorAttachment it does not know, and refuses a mistyped one', () => {
    const unknown = changed(browserRegistration(), (copy) => {
      copy.authenticatorAttachment = 'wearable';
    });
    expect(parseRegistrationResponse(unknown).authenticatorAttachment).toBeUndefined();
    const none = changed(browserRegistration(), (copy) => {
      copy.authenticatorAttachment = null;
    });
    expect(parseRegistrationResponse(none).authenticatorAttachment).toBeUndefined();
    refusedRegistration(
      changed(browserRegistration(), (copy) => {
        copy.authenticatorAttachment = 1;
      }),
      'authenticatorAttachment',
    );
  });

  it('names the field of a bad shape', () => {
    refusedRegistration(null, 'credential');
    refusedRegistration([browserRegistration()], 'credential');
    refusedRegistration('{"id":"x"}', 'credential');
    const cases: [string, (copy: Json) => void][] = [
      ['type', (copy) => delete copy.type],
      ['type', (copy) => (copy.type = 'password')],
      ['response', (copy) => delete (copy as Partial<Json>).response],
      ['response', (copy) => (copy.response = [] as unknown as Json['response'])],
      [
        'id',
        (copy) => {
          delete copy.id;
          delete copy.rawId;
        },
      ],
      ['id', (copy) => (copy.id = 'not*base64')],
      ['id', (copy) => (copy.id = '')],
      ['rawId', (copy) => (copy.rawId = 42)],
      ['rawId', (copy) => (copy.rawId = 'abcde')],
      ['response.clientDataJSON', (copy) => delete copy.response.clientDataJSON],
      ['response.clientDataJSON', (copy) => (copy.response.clientDataJSON = '')],
      ['response.attestationObject', (copy) => (copy.response.attestationObject = { bytes: [1] })],
      ['response.attestationObject', (copy) => (copy.response.attestationObject = 'AA=A')],
      ['response.transports', (copy) => (copy.response.transports = 'usb')],
      ['response.transports', (copy) => (copy.response.transports = ['usb', 1])],
      ['clientExtensionResults', (copy) => (copy.clientExtensionResults = [])],
    ];
    for (const [field, change] of cases) refusedRegistration(changed(browserRegistration(), change), field);
  });
});

describe('parseAssertionResponse', () => {
  it('reads the PublicKeyCredential.toJSON() shape', () => {
    expect(parseAssertionResponse(browserAssertion())).toEqual({
      id: b64url(RAW_ID),
      rawId: RAW_ID,
      clientDataJSON: CLIENT_DATA,
      authenticatorData: AUTHENTICATOR_DATA,
      signature: SIGNATURE,
      userHandle: USER_HANDLE,
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
    });
  });

  it('reads the FIDO conformance shape, with an empty or null userHandle as none', () => {
    for (const userHandle of ['', null, undefined]) {
      const json = changed(browserAssertion(), (copy) => {
        delete copy.rawId;
        delete copy.clientExtensionResults;
        delete copy.authenticatorAttachment;
        copy.getClientExtensionResults = { appid: false };
        copy.response.userHandle = userHandle;
      });
      expect(parseAssertionResponse(json)).toEqual({
        id: b64url(RAW_ID),
        rawId: RAW_ID,
        clientDataJSON: CLIENT_DATA,
        authenticatorData: AUTHENTICATOR_DATA,
        signature: SIGNATURE,
        clientExtensionResults: { appid: false },
      });
    }
  });

  it('names the field of a bad shape', () => {
    const cases: [string, (copy: Json) => void][] = [
      ['type', (copy) => (copy.type = 'public-key ')],
      ['response.authenticatorData', (copy) => delete copy.response.authenticatorData],
      ['response.signature', (copy) => (copy.response.signature = 'x')],
      ['response.userHandle', (copy) => (copy.response.userHandle = 7)],
      ['response.clientDataJSON', (copy) => (copy.response.clientDataJSON = null)],
      ['id', (copy) => (copy.rawId = b64url(USER_HANDLE))],
    ];
    for (const [field, change] of cases) refusedAssertion(changed(browserAssertion(), change), field);
  });
});

interface Vector {
  name: string;
  response: { id: string; rawId: string; type: string; response: { attestationObject: string } };
}

describe('the SimpleWebAuthn registrations (test/vectors/webauthn, MIT)', () => {
  const vectors: Vector[] = JSON.parse(readVector('webauthn/simplewebauthn-registrations.json'));

  it('are all 24 there', () => {
    expect(vectors).toHaveLength(24);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))('parse: %s', (_, vector) => {
    const response = parseRegistrationResponse(vector.response);
    const object = decodeAttestationObject(response.attestationObject);
    const { attested } = object.authData;
    expect(Buffer.from(attested.credentialId).toString('base64url')).toBe(response.id);
    expect(COSE_ALGORITHMS.has(attested.publicKey.alg)).toBe(true);

    // The same fields as SimpleWebAuthn's own parser reads them.
    const theirs = simpleWebAuthnAuthenticatorData(new Uint8Array(object.authData.raw));
    expect(object.authData.flags).toBe(theirs.flags.flagsInt);
    expect(object.authData.counter).toBe(theirs.counter);
    expect(Buffer.from(object.authData.rpIdHash)).toEqual(Buffer.from(theirs.rpIdHash));
    expect(Buffer.from(attested.aaguid)).toEqual(Buffer.from(theirs.aaguid!));
    expect(Buffer.from(attested.credentialId)).toEqual(Buffer.from(theirs.credentialID!));
    expect(Buffer.from(attested.publicKeyBytes)).toEqual(Buffer.from(theirs.credentialPublicKey!));
    expect(object.authData.extensions === undefined).toBe(theirs.extensionsData === undefined);
  });

  it('cover the algorithms and formats expected of them', () => {
    const seen = vectors.map((vector) => {
      const object = decodeAttestationObject(parseRegistrationResponse(vector.response).attestationObject);
      return `${object.fmt} ${COSE_ALGORITHMS.get(object.authData.attested.publicKey.alg)!.name}`;
    });
    expect(new Set(seen)).toEqual(
      new Set([
        'android-key ES256',
        'apple ES256',
        'tpm RS256',
        'tpm RS1',
        'tpm ES256',
        'packed ES256',
        'packed PS256',
        'packed PS384',
        'none ES256',
        'none RS256',
        'fido-u2f ES256',
        'android-safetynet ES256',
      ]),
    );
  });
});
