import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { decode, encode, Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { outcome } from '../../../../test/helpers/outcome.js';
import { publicKeyToCoseKey } from '../../../crypto/cose/cose-key.js';
import { signCoseSign1 } from '../../../crypto/cose/sign1.js';
import { spkiOf } from '../../../crypto/keys.js';
import { REQUEST, RESPONSE } from './message-types.js';
import { readRequestMessage, type RequestOf } from './messages.js';
import {
  writeCertifyAuthKeysProveOwnership,
  writeCertifyAuthKeysReady,
  writeCertifyAuthKeysResponse,
  writeDataToProvision,
  writeDeleteCredentialProveOwnership,
  writeDeleteCredentialReadyForDeletion,
  writeEndSession,
  writeProvisioningResponse,
  writeReadyToProvision,
  writeUpdateCredentialDataToProvision,
  writeUpdateCredentialProveOwnership,
  writeUpdateCredentialResponse,
} from './responses.js';

const SESSION = 'c2Vzc2lvbi0x';
const credentialKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const coseKey = publicKeyToCoseKey(credentialKey.publicKey);
const proofBytes = signCoseSign1({
  payload: encode(['ProofOfOwnership', 'org.iso.18013.5.1.mDL', new Uint8Array([1, 2, 3]), false]),
  key: credentialKey.privateKey,
});
const proofArray = decode(proofBytes) as unknown[];
const certificateA = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
const certificateB = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x02]);

/** cbor2 writes a Buffer as a map: byte strings go in as plain Uint8Arrays. */
const u8 = (bytes: Uint8Array) => new Uint8Array(bytes);
const body = (fields: Record<string, unknown>) => encode(new Map(Object.entries(fields)));
const read = (fields: Record<string, unknown>, limits = {}) => readRequestMessage(body(fields), limits);
const readOutcome = (bytes: Uint8Array, limits = {}) => outcome(() => readRequestMessage(bytes, limits));

/** A message of each request type, as the Android app sends it. */
const GOOD: Record<string, Record<string, unknown>> = {
  [REQUEST.startProvisioning]: { provisioningCode: '1001' },
  [REQUEST.androidStartProvisioning]: { eSessionId: SESSION },
  [REQUEST.setCertificateChain]: {
    eSessionId: SESSION,
    credentialKeyCertificateChain: new Uint8Array([...certificateA, ...certificateB]),
  },
  [REQUEST.setProofOfProvisioning]: { eSessionId: SESSION, proofOfProvisioningSignature: proofArray },
  [REQUEST.certifyAuthKeys]: { credentialKey: coseKey },
  [REQUEST.certifyProveOwnershipResponse]: { eSessionId: SESSION, proofOfOwnershipSignature: proofArray },
  [REQUEST.certifySendCerts]: { eSessionId: SESSION, authKeyCerts: [certificateA, certificateB] },
  [REQUEST.requestEndSession]: { eSessionId: SESSION },
  [REQUEST.updateCredential]: { credentialKey: coseKey },
  [REQUEST.updateProveOwnershipResponse]: { eSessionId: SESSION, proofOfOwnershipSignature: proofArray },
  [REQUEST.updateGetDataToUpdate]: { eSessionId: SESSION },
  [REQUEST.updateSetProofOfProvisioning]: { eSessionId: SESSION, proofOfProvisioningSignature: proofArray },
  [REQUEST.deleteCredential]: { credentialKey: coseKey },
  [REQUEST.deleteProveOwnershipResponse]: { eSessionId: SESSION, proofOfOwnershipSignature: proofArray },
  [REQUEST.deleteDeleted]: { eSessionId: SESSION, proofOfDeletionSignature: proofArray },
};

describe('request messages', () => {
  it('has a good message for every request type', () => {
    expect(Object.keys(GOOD).sort()).toEqual(Object.values(REQUEST).sort());
  });

  for (const [type, fields] of Object.entries(GOOD)) {
    it(`reads ${type}`, () => {
      const message = read({ messageType: type, ...fields });
      expect(message.type).toBe(type);
      if ('sessionId' in message) expect(message.sessionId).toBe(SESSION);
    });
  }

  it('reads the fields of each message', () => {
    expect(read({ messageType: REQUEST.startProvisioning, provisioningCode: '1001' })).toEqual({
      type: REQUEST.startProvisioning,
      provisioningCode: '1001',
    });
    const chain = read({
      messageType: REQUEST.setCertificateChain,
      ...GOOD[REQUEST.setCertificateChain],
    }) as RequestOf<typeof REQUEST.setCertificateChain>;
    expect(chain.credentialKeyCertificateChain.map((der) => [...der])).toEqual([[...certificateA], [...certificateB]]);

    const certify = read({ messageType: REQUEST.certifyAuthKeys, credentialKey: coseKey }) as RequestOf<
      typeof REQUEST.certifyAuthKeys
    >;
    expect(spkiOf(certify.credentialKey).equals(spkiOf(credentialKey.publicKey))).toBe(true);

    const proof = read({
      messageType: REQUEST.certifyProveOwnershipResponse,
      ...GOOD[REQUEST.certifyProveOwnershipResponse],
    }) as RequestOf<typeof REQUEST.certifyProveOwnershipResponse>;
    expect(proof.proofOfOwnership.alg).toBe(-7);
    expect(Buffer.from(proof.proofOfOwnership.payload!).equals(Buffer.from(proofArray[2] as Uint8Array))).toBe(true);
    expect(Buffer.from(proof.proofOfOwnership.protectedBytes).equals(Buffer.from(proofArray[0] as Uint8Array))).toBe(
      true,
    );
  });

  it('reads a proof sent as one bstr holding the encoded COSE_Sign1 (the reference server tests)', () => {
    const message = read({
      messageType: REQUEST.deleteDeleted,
      eSessionId: SESSION,
      proofOfDeletionSignature: proofBytes,
    }) as RequestOf<typeof REQUEST.deleteDeleted>;
    expect(Buffer.from(message.proofOfDeletion.signature).equals(Buffer.from(proofArray[3] as Uint8Array))).toBe(true);
  });

  it('reads authKeyCerts as an array of bstr and as one bstr holding the CBOR array (older apps)', () => {
    const asArray = read({ messageType: REQUEST.certifySendCerts, eSessionId: SESSION, authKeyCerts: [certificateA] });
    const asBytes = read({
      messageType: REQUEST.certifySendCerts,
      eSessionId: SESSION,
      authKeyCerts: encode([certificateA]),
    });
    expect(asBytes).toEqual(asArray);
  });

  it('reads the seed document name RequestEndMessage as RequestEndSession', () => {
    expect(read({ messageType: 'RequestEndMessage', eSessionId: SESSION }).type).toBe(REQUEST.requestEndSession);
  });

  it('reads a body given as a Buffer', () => {
    const buffer = Buffer.from(body({ messageType: REQUEST.certifySendCerts, ...GOOD[REQUEST.certifySendCerts] }));
    expect(readRequestMessage(buffer).type).toBe(REQUEST.certifySendCerts);
  });
});

describe('malformed requests, each its code', () => {
  const cases: [string, Uint8Array, string, Record<string, number>?][] = [
    ['an empty body', new Uint8Array(0), 'CONTENT PROVISIONING_MESSAGE_TOO_LARGE'],
    [
      'a body over the limit',
      body({ messageType: REQUEST.startProvisioning, provisioningCode: 'x'.repeat(200) }),
      'CONTENT PROVISIONING_MESSAGE_TOO_LARGE',
      { maxBytes: 100 },
    ],
    ['truncated CBOR', body(GOOD[REQUEST.startProvisioning]!).subarray(0, 5), 'CONTENT PROVISIONING_MALFORMED_CBOR'],
    [
      'trailing bytes',
      Buffer.concat([body({ messageType: 'x' }), Buffer.of(0)]),
      'CONTENT PROVISIONING_MALFORMED_CBOR',
    ],
    ['form-urlencoded text', Buffer.from('messageType=StartProvisioning'), 'CONTENT PROVISIONING_MALFORMED_CBOR'],
    [
      'indefinite-length map',
      Buffer.from([0xbf, 0x6b, ...Buffer.from('messageType'), 0x61, 0x78, 0xff]),
      'CONTENT PROVISIONING_MALFORMED_CBOR',
    ],
    ['duplicate keys', Buffer.from([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]), 'CONTENT PROVISIONING_MALFORMED_CBOR'],
    [
      'nesting beyond the limit',
      encode(
        new Map<string, unknown>([
          ['messageType', REQUEST.startProvisioning],
          ['x', [[[[[[1]]]]]]],
        ]),
      ),
      'CONTENT PROVISIONING_MALFORMED_CBOR',
    ],
    ['an array', encode(['StartProvisioning']), 'CONTENT PROVISIONING_NOT_A_MESSAGE'],
    ['no messageType', body({ provisioningCode: '1001' }), 'CONTENT PROVISIONING_NOT_A_MESSAGE'],
    [
      'a bstr messageType',
      body({ messageType: u8(Buffer.from('StartProvisioning')) }),
      'CONTENT PROVISIONING_NOT_A_MESSAGE',
    ],
    [
      'an unknown messageType',
      body({ messageType: 'StartProvisioningNow' }),
      'CONTENT PROVISIONING_UNKNOWN_MESSAGE_TYPE',
    ],
    [
      'a reply type sent as a request',
      body({ messageType: RESPONSE.endSession, eSessionId: SESSION }),
      'CONTENT PROVISIONING_UNKNOWN_MESSAGE_TYPE',
    ],
    ['no provisioningCode', body({ messageType: REQUEST.startProvisioning }), 'CONTENT PROVISIONING_MISSING_FIELD'],
    ['no eSessionId', body({ messageType: REQUEST.androidStartProvisioning }), 'CONTENT PROVISIONING_MISSING_FIELD'],
    [
      'a bstr eSessionId (the seed type)',
      body({ messageType: REQUEST.androidStartProvisioning, eSessionId: u8(Buffer.from(SESSION)) }),
      'CONTENT PROVISIONING_FIELD_TYPE',
    ],
    [
      'an empty eSessionId',
      body({ messageType: REQUEST.androidStartProvisioning, eSessionId: '' }),
      'CONTENT PROVISIONING_FIELD_TYPE',
    ],
    [
      'an integer provisioningCode',
      body({ messageType: REQUEST.startProvisioning, provisioningCode: 1001 }),
      'CONTENT PROVISIONING_FIELD_TYPE',
    ],
    [
      'an extra field',
      body({ messageType: REQUEST.startProvisioning, provisioningCode: '1001', eSessionId: SESSION }),
      'CONTENT PROVISIONING_UNKNOWN_FIELD',
    ],
    [
      'a text certificate chain',
      body({ messageType: REQUEST.setCertificateChain, eSessionId: SESSION, credentialKeyCertificateChain: 'MII' }),
      'CONTENT PROVISIONING_FIELD_TYPE',
    ],
    [
      'a certificate chain that is not DER',
      body({
        messageType: REQUEST.setCertificateChain,
        eSessionId: SESSION,
        credentialKeyCertificateChain: Uint8Array.of(0x04, 0x01, 0x00),
      }),
      'CONTENT PROVISIONING_MALFORMED_CERTIFICATE_CHAIN',
    ],
    [
      'an empty certificate chain',
      body({
        messageType: REQUEST.setCertificateChain,
        eSessionId: SESSION,
        credentialKeyCertificateChain: new Uint8Array(),
      }),
      'CONTENT PROVISIONING_MALFORMED_CERTIFICATE_CHAIN',
    ],
    [
      'a certificate chain over the limit',
      body({
        messageType: REQUEST.setCertificateChain,
        eSessionId: SESSION,
        credentialKeyCertificateChain: u8(Buffer.concat([certificateA, certificateA, certificateA])),
      }),
      'CONTENT PROVISIONING_MALFORMED_CERTIFICATE_CHAIN',
      { maxChainLength: 2 },
    ],
    [
      'credentialKey as bytes',
      body({ messageType: REQUEST.certifyAuthKeys, credentialKey: encode(coseKey) }),
      'CONTENT PROVISIONING_FIELD_TYPE',
    ],
    [
      'credentialKey off the curve',
      body({ messageType: REQUEST.certifyAuthKeys, credentialKey: new Map([...coseKey, [-3, new Uint8Array(32)]]) }),
      'CONTENT PROVISIONING_MALFORMED_COSE_KEY',
    ],
    [
      'credentialKey on P-384',
      body({
        messageType: REQUEST.deleteCredential,
        credentialKey: publicKeyToCoseKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey),
      }),
      'CONTENT PROVISIONING_MALFORMED_COSE_KEY',
    ],
    [
      'a proof that is a map',
      body({
        messageType: REQUEST.setProofOfProvisioning,
        eSessionId: SESSION,
        proofOfProvisioningSignature: new Map(),
      }),
      'CONTENT PROVISIONING_FIELD_TYPE',
    ],
    [
      'a proof of three elements',
      body({
        messageType: REQUEST.setProofOfProvisioning,
        eSessionId: SESSION,
        proofOfProvisioningSignature: proofArray.slice(0, 3),
      }),
      'CONTENT PROVISIONING_MALFORMED_PROOF',
    ],
    [
      'a tagged proof',
      body({
        messageType: REQUEST.setProofOfProvisioning,
        eSessionId: SESSION,
        proofOfProvisioningSignature: encode(new Tag(18, proofArray)),
      }),
      'CONTENT PROVISIONING_MALFORMED_PROOF',
    ],
    [
      'a proof with a detached payload',
      body({
        messageType: REQUEST.setProofOfProvisioning,
        eSessionId: SESSION,
        proofOfProvisioningSignature: [proofArray[0], proofArray[1], null, proofArray[3]],
      }),
      'CONTENT PROVISIONING_MALFORMED_PROOF',
    ],
    [
      'a proof bstr that is not CBOR',
      body({
        messageType: REQUEST.setProofOfProvisioning,
        eSessionId: SESSION,
        proofOfProvisioningSignature: Uint8Array.of(0x84, 0x40),
      }),
      'CONTENT PROVISIONING_MALFORMED_PROOF',
    ],
    [
      'authKeyCerts as text',
      body({ messageType: REQUEST.certifySendCerts, eSessionId: SESSION, authKeyCerts: 'MII' }),
      'CONTENT PROVISIONING_MALFORMED_AUTH_KEY_CERTS',
    ],
    [
      'authKeyCerts empty',
      body({ messageType: REQUEST.certifySendCerts, eSessionId: SESSION, authKeyCerts: [] }),
      'CONTENT PROVISIONING_MALFORMED_AUTH_KEY_CERTS',
    ],
    [
      'authKeyCerts holding a text string',
      body({ messageType: REQUEST.certifySendCerts, eSessionId: SESSION, authKeyCerts: [certificateA, 'x'] }),
      'CONTENT PROVISIONING_MALFORMED_AUTH_KEY_CERTS',
    ],
    [
      'authKeyCerts bstr that is not CBOR',
      body({ messageType: REQUEST.certifySendCerts, eSessionId: SESSION, authKeyCerts: Uint8Array.of(0x82, 0x41) }),
      'CONTENT PROVISIONING_MALFORMED_AUTH_KEY_CERTS',
    ],
    [
      'authKeyCerts bstr holding nested arrays',
      body({ messageType: REQUEST.certifySendCerts, eSessionId: SESSION, authKeyCerts: encode([[certificateA]]) }),
      'CONTENT PROVISIONING_MALFORMED_AUTH_KEY_CERTS',
    ],
    [
      'more auth keys than the quota',
      body({ messageType: REQUEST.certifySendCerts, eSessionId: SESSION, authKeyCerts: [certificateA, certificateB] }),
      'CONTENT PROVISIONING_TOO_MANY_AUTH_KEYS',
      { maxAuthKeys: 1 },
    ],
    [
      'more auth keys than the quota, in the older form',
      body({
        messageType: REQUEST.certifySendCerts,
        eSessionId: SESSION,
        authKeyCerts: encode([certificateA, certificateB]),
      }),
      'CONTENT PROVISIONING_TOO_MANY_AUTH_KEYS',
      { maxAuthKeys: 1 },
    ],
  ];
  for (const [name, bytes, expected, limits] of cases) {
    it(`refuses ${name}`, () => expect(readOutcome(bytes, limits)).toBe(expected));
  }
});

describe('responses', () => {
  const challenge = randomBytes(32);
  const map = (bytes: Uint8Array) => decode(bytes, { preferMap: true, ignoreGlobalTags: true }) as Map<string, unknown>;
  const profiles = [{ id: 0, userAuthenticationRequired: true, timeoutMillis: 1000 }, { id: 1 }];
  const nameSpaces = new Map([
    [
      'org.iso.18013.5.1',
      [
        { name: 'family_name', value: 'Mustermann', accessControlProfiles: [0] },
        { name: 'birth_date', value: new Tag(1004, '1971-09-01'), accessControlProfiles: [0, 1] },
      ],
    ],
  ]);

  it('writes each reply with messageType and eSessionId', () => {
    const replies: [Uint8Array, string, Record<string, unknown>][] = [
      [writeReadyToProvision(SESSION), RESPONSE.readyToProvision, {}],
      [
        writeProvisioningResponse(SESSION, challenge, 'org.iso.18013.5.1.mDL'),
        RESPONSE.provisioningResponse,
        { challenge: new Uint8Array(challenge), docType: 'org.iso.18013.5.1.mDL' },
      ],
      [
        writeCertifyAuthKeysProveOwnership(SESSION, challenge),
        RESPONSE.certifyProveOwnership,
        { challenge: new Uint8Array(challenge) },
      ],
      [writeCertifyAuthKeysReady(SESSION), RESPONSE.certifyReady, {}],
      [
        writeCertifyAuthKeysResponse(SESSION, [Buffer.of(1), Buffer.of(2)]),
        RESPONSE.certifyResponse,
        { staticAuthDatas: [new Uint8Array([1]), new Uint8Array([2])] },
      ],
      [
        writeUpdateCredentialProveOwnership(SESSION, challenge),
        RESPONSE.updateProveOwnership,
        { challenge: new Uint8Array(challenge) },
      ],
      [
        writeUpdateCredentialResponse(SESSION, 'no_update'),
        RESPONSE.updateResponse,
        { updateCredentialResult: 'no_update' },
      ],
      [
        writeDeleteCredentialProveOwnership(SESSION, challenge),
        RESPONSE.deleteProveOwnership,
        { challenge: new Uint8Array(challenge) },
      ],
      [
        writeDeleteCredentialReadyForDeletion(SESSION, challenge),
        RESPONSE.deleteReadyForDeletion,
        { challenge: new Uint8Array(challenge) },
      ],
      [writeEndSession(SESSION, 'Success'), RESPONSE.endSession, { reason: 'Success' }],
    ];
    for (const [bytes, messageType, fields] of replies) {
      expect(Object.fromEntries(map(bytes))).toEqual({ messageType, eSessionId: SESSION, ...fields });
    }
  });

  it('writes the document data as the protocol shapes it, deterministically', () => {
    for (const [write, type] of [
      [writeDataToProvision, RESPONSE.dataToProvision],
      [writeUpdateCredentialDataToProvision, RESPONSE.updateDataToProvision],
    ] as const) {
      const bytes = write(SESSION, { accessControlProfiles: profiles, nameSpaces });
      const reply = map(bytes);
      expect(reply.get('messageType')).toBe(type);
      expect(reply.get('accessControlProfiles')).toEqual([
        new Map<string, unknown>([
          ['id', 0],
          ['userAuthenticationRequired', true],
          ['timeoutMillis', 1000],
        ]),
        new Map([['id', 1]]),
      ]);
      const entries = (reply.get('nameSpaces') as Map<string, Map<string, unknown>[]>).get('org.iso.18013.5.1')!;
      expect(entries.map((entry) => entry.get('name'))).toEqual(['family_name', 'birth_date']);
      expect((entries[1]!.get('value') as Tag).tag).toBe(1004);
      expect(
        Buffer.from(bytes).equals(Buffer.from(write(SESSION, { accessControlProfiles: profiles, nameSpaces }))),
      ).toBe(true);
    }
  });

  it('sorts map keys length-first', () => {
    const keys = [...map(writeProvisioningResponse(SESSION, challenge, 'x')).keys()];
    expect(keys).toEqual(['docType', 'challenge', 'eSessionId', 'messageType']);
  });

  it('leaves eSessionId out of a failure that has no session', () => {
    expect(Object.fromEntries(map(writeEndSession(undefined, 'Failed')))).toEqual({
      messageType: RESPONSE.endSession,
      reason: 'Failed',
    });
  });
});

describe('mutated requests', () => {
  it('answer every corrupted body with a typed refusal, never a crash', () => {
    const seeds = Object.entries(GOOD).map(([type, fields]) => body({ messageType: type, ...fields }));
    for (let round = 0; round < 2000; round++) {
      const seed = seeds[round % seeds.length]!;
      const mutated = new Uint8Array(seed);
      const flips = 1 + (round % 4);
      for (let flip = 0; flip < flips; flip++) {
        mutated[Math.floor(Math.random() * mutated.length)] = Math.floor(Math.random() * 256);
      }
      const cut = round % 7 === 0 ? mutated.subarray(0, Math.floor(Math.random() * mutated.length)) : mutated;
      expect(readOutcome(cut)).toMatch(/^(accepted|CONTENT [A-Z_]+)$/);
    }
  });
});
