import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { decode, encode, Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { outcome } from '../../../../test/helpers/outcome.js';
import { decodeCoseSign1, signCoseSign1 } from '../../../crypto/cose/sign1.js';
import { type DocumentData, encodeCanonical, nameSpacesToCbor, profileToCbor } from './data.js';
import { REQUEST } from './message-types.js';
import { readRequestMessage, type RequestOf } from './messages.js';
import { verifyProofOfDeletion, verifyProofOfOwnership, verifyProofOfProvisioning } from './proofs.js';

const MDL = 'org.iso.18013.5.1.mDL';
const credentialKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const portrait = new Uint8Array(randomBytes(64));

const SENT: DocumentData = {
  docType: MDL,
  accessControlProfiles: [
    { id: 0, userAuthenticationRequired: true, timeoutMillis: 1000 },
    { id: 1, userAuthenticationRequired: false },
  ],
  nameSpaces: new Map([
    [
      'org.iso.18013.5.1',
      [
        { name: 'family_name', value: 'Mustermann', accessControlProfiles: [0] },
        { name: 'given_name', value: 'Erika', accessControlProfiles: [0] },
        { name: 'portrait', value: portrait, accessControlProfiles: [0, 1] },
        { name: 'birth_date', value: new Tag(1004, '1971-09-01'), accessControlProfiles: [0] },
      ],
    ],
    ['org.aamva.18013.5.1', [{ name: 'real_id', value: true, accessControlProfiles: [0] }]],
  ]),
};

/** A proof as the device makes it: the payload array encoded, signed ES256 by `key`, decoded as received. */
function proof(payload: unknown[], key: KeyObject = credentialKey.privateKey) {
  const payloadBytes = encode(payload);
  return { proof: decodeCoseSign1(signCoseSign1({ payload: payloadBytes, key })), payloadBytes };
}

const popPayload = (
  data: Partial<{ docType: unknown; profiles: unknown; nameSpaces: unknown; test: unknown }> = {},
) => [
  'ProofOfProvisioning',
  data.docType ?? MDL,
  data.profiles ?? SENT.accessControlProfiles.map(profileToCbor),
  data.nameSpaces ?? nameSpacesToCbor(SENT.nameSpaces),
  data.test ?? false,
];

const verifyPop = (payload: unknown[], key?: KeyObject, options = {}) =>
  outcome(() => verifyProofOfProvisioning(proof(payload, key).proof, credentialKey.publicKey, SENT, options));

describe('ProofOfProvisioning', () => {
  it('accepts the proof over the data sent, returning the payload as received and its SHA-256', () => {
    const { proof: signed, payloadBytes } = proof(popPayload());
    const verified = verifyProofOfProvisioning(signed, credentialKey.publicKey, SENT);
    expect(Buffer.from(verified.payload).equals(Buffer.from(payloadBytes))).toBe(true);
    expect(verified.payloadSha256.equals(createHash('sha256').update(payloadBytes).digest())).toBe(true);
    expect(verified.testCredential).toBe(false);
  });

  it('accepts the data restated as the HAL writes it: fields that say nothing left out, order changed', () => {
    const profiles = [
      new Map([['id', 1]]),
      new Map<string, unknown>([
        ['timeoutMillis', 1000],
        ['userAuthenticationRequired', true],
        ['id', 0],
      ]),
    ];
    const nameSpaces = nameSpacesToCbor(
      new Map([...SENT.nameSpaces].reverse().map(([namespace, entries]) => [namespace, [...entries].reverse()])),
    );
    expect(verifyPop(popPayload({ profiles, nameSpaces }))).toBe('accepted');
  });

  it('hashes the exact payload bytes received through the message, never a re-encoding', () => {
    // Map keys in the device's order, not length-first: re-encoding would change the bytes.
    const profiles = [
      new Map<string, unknown>([
        ['userAuthenticationRequired', true],
        ['timeoutMillis', 1000],
        ['id', 0],
      ]),
      new Map([['id', 1]]),
    ];
    const payloadBytes = encode(popPayload({ profiles }));
    expect(Buffer.from(encodeCanonical(popPayload({ profiles }))).equals(Buffer.from(payloadBytes))).toBe(false);
    const signed = signCoseSign1({ payload: payloadBytes, key: credentialKey.privateKey });
    for (const form of [decode(signed), signed]) {
      const message = readRequestMessage(
        encode(
          new Map<string, unknown>([
            ['messageType', REQUEST.setProofOfProvisioning],
            ['eSessionId', 's'],
            ['proofOfProvisioningSignature', form],
          ]),
        ),
      ) as RequestOf<typeof REQUEST.setProofOfProvisioning>;
      const verified = verifyProofOfProvisioning(message.proofOfProvisioning, credentialKey.publicKey, SENT);
      expect(Buffer.from(verified.payload).equals(Buffer.from(payloadBytes))).toBe(true);
      expect(verified.payloadSha256.equals(createHash('sha256').update(payloadBytes).digest())).toBe(true);
    }
  });

  it('refuses a proof signed by another key', () => {
    expect(verifyPop(popPayload(), otherKey.privateKey)).toBe('TRUST PROVISIONING_PROOF_SIGNATURE_INVALID');
  });

  it('refuses a proof whose payload was changed after signing', () => {
    const { proof: signed } = proof(popPayload());
    const changed = { ...signed, payload: encode(popPayload({ docType: 'org.iso.23220.photoid.1' })) };
    expect(outcome(() => verifyProofOfProvisioning(changed, credentialKey.publicKey, SENT))).toBe(
      'TRUST PROVISIONING_PROOF_SIGNATURE_INVALID',
    );
  });

  it('refuses a proof not signed with ES256', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const signed = decodeCoseSign1(signCoseSign1({ payload: encode(popPayload()), key: p384.privateKey }));
    expect(outcome(() => verifyProofOfProvisioning(signed, p384.publicKey, SENT))).toBe(
      'CONTENT PROVISIONING_PROOF_ALGORITHM',
    );
  });

  it('refuses another docType', () => {
    expect(verifyPop(popPayload({ docType: 'org.iso.23220.photoid.1' }))).toBe(
      'TRUST PROVISIONING_PROOF_DOCTYPE_MISMATCH',
    );
  });

  const differentData: [string, Parameters<typeof popPayload>[0]][] = [
    ['a changed value', { nameSpaces: nameSpacesToCbor(replaceEntry('family_name', { value: 'Musterfrau' })) }],
    ['a value of another type', { nameSpaces: nameSpacesToCbor(replaceEntry('birth_date', { value: '1971-09-01' })) }],
    [
      'other profile references',
      { nameSpaces: nameSpacesToCbor(replaceEntry('portrait', { accessControlProfiles: [0] })) },
    ],
    [
      'an element more',
      {
        nameSpaces: nameSpacesToCbor(
          new Map([
            ...SENT.nameSpaces,
            [
              'org.aamva.18013.5.1',
              [
                ...SENT.nameSpaces.get('org.aamva.18013.5.1')!,
                { name: 'DHS_compliance', value: 'F', accessControlProfiles: [0] },
              ],
            ],
          ]),
        ),
      },
    ],
    ['an undefined value', { nameSpaces: nameSpacesToCbor(replaceEntry('given_name', { value: undefined })) }],
    ['a namespace less', { nameSpaces: nameSpacesToCbor(new Map([...SENT.nameSpaces].slice(0, 1))) }],
    ['a profile less', { profiles: [profileToCbor(SENT.accessControlProfiles[0]!)] }],
    [
      'another timeout',
      {
        profiles: [
          profileToCbor({ id: 0, userAuthenticationRequired: true, timeoutMillis: 0 }),
          profileToCbor({ id: 1 }),
        ],
      },
    ],
    ['no user authentication', { profiles: [profileToCbor({ id: 0 }), profileToCbor({ id: 1 })] }],
    [
      'a reader certificate',
      {
        profiles: [
          profileToCbor(SENT.accessControlProfiles[0]!),
          profileToCbor({ id: 1, readerCertificate: new Uint8Array([1]) }),
        ],
      },
    ],
  ];
  for (const [name, change] of differentData) {
    it(`refuses a proof over different data: ${name}`, () => {
      expect(verifyPop(popPayload(change))).toBe('TRUST PROVISIONING_PROOF_DATA_MISMATCH');
    });
  }

  it('refuses a test credential unless allowed', () => {
    expect(verifyPop(popPayload({ test: true }))).toBe('TRUST PROVISIONING_TEST_CREDENTIAL');
    expect(verifyPop(popPayload({ test: true }), undefined, { allowTestCredential: true })).toBe('accepted');
  });

  const malformed: [string, unknown[]][] = [
    ['another proof', ['ProofOfOwnership', MDL, new Uint8Array(16), false]],
    ['a missing element', popPayload().slice(0, 4)],
    ['a text testCredential', popPayload({ test: 'false' })],
    [
      'a profile with an unknown key',
      popPayload({
        profiles: [
          new Map<string, unknown>([
            ['id', 0],
            ['x', 1],
          ]),
        ],
      }),
    ],
    ['a duplicated profile id', popPayload({ profiles: [new Map([['id', 0]]), new Map([['id', 0]])] })],
    [
      'an entry without a name',
      popPayload({
        nameSpaces: new Map([
          [
            'ns',
            [
              new Map<string, unknown>([
                ['value', 1],
                ['accessControlProfiles', []],
              ]),
            ],
          ],
        ]),
      }),
    ],
    [
      'a duplicated element',
      popPayload({
        nameSpaces: nameSpacesToCbor(
          new Map([
            [
              'ns',
              [
                { name: 'a', value: 1, accessControlProfiles: [] },
                { name: 'a', value: 1, accessControlProfiles: [] },
              ],
            ],
          ]),
        ),
      }),
    ],
  ];
  for (const [name, payload] of malformed) {
    it(`refuses a malformed proof: ${name}`, () =>
      expect(verifyPop(payload)).toBe('CONTENT PROVISIONING_MALFORMED_PROOF'));
  }
});

function replaceEntry(name: string, change: Record<string, unknown>) {
  return new Map(
    [...SENT.nameSpaces].map(([namespace, entries]) => [
      namespace,
      entries.map((entry) => (entry.name === name ? { ...entry, ...change } : entry)),
    ]),
  );
}

describe('ProofOfOwnership', () => {
  const challenge = new Uint8Array(randomBytes(32));
  const sent = { docType: MDL, challenge };
  const verifyPoo = (payload: unknown[], key?: KeyObject) =>
    outcome(() => verifyProofOfOwnership(proof(payload, key).proof, credentialKey.publicKey, sent));

  it('accepts a proof over the session challenge', () => {
    expect(verifyPoo(['ProofOfOwnership', MDL, challenge, false])).toBe('accepted');
  });

  it('refuses another challenge', () => {
    expect(verifyPoo(['ProofOfOwnership', MDL, new Uint8Array(randomBytes(32)), false])).toBe(
      'TRUST PROVISIONING_PROOF_CHALLENGE_MISMATCH',
    );
    expect(verifyPoo(['ProofOfOwnership', MDL, new Uint8Array(), false])).toBe(
      'TRUST PROVISIONING_PROOF_CHALLENGE_MISMATCH',
    );
  });

  it('refuses another docType, another key, a test credential, another proof', () => {
    expect(verifyPoo(['ProofOfOwnership', 'org.iso.23220.photoid.1', challenge, false])).toBe(
      'TRUST PROVISIONING_PROOF_DOCTYPE_MISMATCH',
    );
    expect(verifyPoo(['ProofOfOwnership', MDL, challenge, false], otherKey.privateKey)).toBe(
      'TRUST PROVISIONING_PROOF_SIGNATURE_INVALID',
    );
    expect(verifyPoo(['ProofOfOwnership', MDL, challenge, true])).toBe('TRUST PROVISIONING_TEST_CREDENTIAL');
    expect(verifyPoo(['ProofOfDeletion', MDL, challenge, false])).toBe('CONTENT PROVISIONING_MALFORMED_PROOF');
    expect(verifyPoo(['ProofOfOwnership', MDL, 'challenge', false])).toBe('CONTENT PROVISIONING_MALFORMED_PROOF');
  });
});

describe('ProofOfDeletion', () => {
  const challenge = new Uint8Array(randomBytes(32));
  const sent = { docType: MDL, challenge };
  const verifyPod = (payload: unknown[], options = {}, key?: KeyObject) =>
    outcome(() => verifyProofOfDeletion(proof(payload, key).proof, credentialKey.publicKey, sent, options));

  it('accepts a proof over the session challenge', () => {
    expect(verifyPod(['ProofOfDeletion', MDL, challenge, false])).toBe('accepted');
    expect(verifyPod(['ProofOfDeletion', MDL, challenge, false], { requireDeletionChallenge: true })).toBe('accepted');
  });

  it('accepts the empty challenge of the Android app and the absent one of older devices, unless required', () => {
    expect(verifyPod(['ProofOfDeletion', MDL, new Uint8Array(), false])).toBe('accepted');
    expect(verifyPod(['ProofOfDeletion', MDL, false])).toBe('accepted');
    expect(verifyPod(['ProofOfDeletion', MDL, new Uint8Array(), false], { requireDeletionChallenge: true })).toBe(
      'TRUST PROVISIONING_PROOF_CHALLENGE_MISMATCH',
    );
    expect(verifyPod(['ProofOfDeletion', MDL, false], { requireDeletionChallenge: true })).toBe(
      'TRUST PROVISIONING_PROOF_CHALLENGE_MISMATCH',
    );
  });

  it('refuses a non-empty challenge that is not the session challenge', () => {
    expect(verifyPod(['ProofOfDeletion', MDL, new Uint8Array(randomBytes(32)), false])).toBe(
      'TRUST PROVISIONING_PROOF_CHALLENGE_MISMATCH',
    );
  });

  it('refuses another key, another docType, a test credential, a malformed proof', () => {
    expect(verifyPod(['ProofOfDeletion', MDL, challenge, false], {}, otherKey.privateKey)).toBe(
      'TRUST PROVISIONING_PROOF_SIGNATURE_INVALID',
    );
    expect(verifyPod(['ProofOfDeletion', 'other', challenge, false])).toBe('TRUST PROVISIONING_PROOF_DOCTYPE_MISMATCH');
    expect(verifyPod(['ProofOfDeletion', MDL, challenge, true])).toBe('TRUST PROVISIONING_TEST_CREDENTIAL');
    expect(verifyPod(['ProofOfDeletion', MDL])).toBe('CONTENT PROVISIONING_MALFORMED_PROOF');
    expect(verifyPod(['ProofOfDeletion', MDL, challenge, false, 1])).toBe('CONTENT PROVISIONING_MALFORMED_PROOF');
  });
});
