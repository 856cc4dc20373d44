import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { encode, Tag } from 'cbor2';
import { sortLengthFirstDeterministic } from 'cbor2/sorts';
import { describe, expect, it } from 'vitest';
import { publicKeyToCoseKey } from '../../crypto/cose/cose-key.js';
import { signCoseSign1 } from '../../crypto/cose/sign1.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
} from '../../crypto/x509/certificate-builder.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { mdocVerificationResult, verifyMdoc, type VerifyMdocOptions } from './verify.js';

/**
 * Synthetic mdocs (an IACA, a document signer, an MSO, a deviceSignature) built here with cbor2
 * and node:crypto, for what the Annex D vector does not cover: a chain to an IACA, a
 * deviceSignature, a bare IssuerSigned, and MSO refusals.
 */

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const cbor = (value: unknown) => encode(value, { sortKeys: sortLengthFirstDeterministic });
const tdate = (time: number) => new Tag(0, new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'));
const spki = (key: KeyObject) => new Uint8Array(key.export({ type: 'spki', format: 'der' }));

function certificate(
  subject: string,
  key: KeyObject,
  issuer: { key: KeyObject; name: Uint8Array; keyId: Uint8Array } | undefined,
  ca: boolean,
) {
  const name = encodeName([
    ['2.5.4.3', subject],
    ['2.5.4.6', 'UT'],
  ]);
  const keyId = keyIdentifier(spki(key));
  const der = buildCertificate(
    {
      serial: randomSerial(16),
      subjectDer: name,
      spki: spki(key),
      notBefore: NOW - 30 * DAY,
      notAfter: NOW + 365 * DAY,
      extensions: ca
        ? [extensions.basicConstraints(true, 0), extensions.keyUsage(5, 6), extensions.subjectKeyIdentifier(keyId)]
        : [extensions.keyUsage(0), extensions.subjectKeyIdentifier(keyId)],
    },
    issuer
      ? { key: issuer.key, subjectDer: issuer.name, keyIdentifier: issuer.keyId }
      : { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, subjectDer: name, keyIdentifier: keyId },
  );
  return { der: new Uint8Array(der), name, keyId };
}

const iacaKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const iacaName = encodeName([
  ['2.5.4.3', 'Test IACA'],
  ['2.5.4.6', 'UT'],
]);
const iacaKeyId = keyIdentifier(spki(iacaKeys.publicKey));
const iaca = buildCertificate(
  {
    serial: randomSerial(16),
    subjectDer: iacaName,
    spki: spki(iacaKeys.publicKey),
    notBefore: NOW - 365 * DAY,
    notAfter: NOW + 3650 * DAY,
    extensions: [
      extensions.basicConstraints(true, 0),
      extensions.keyUsage(5, 6),
      extensions.subjectKeyIdentifier(iacaKeyId),
    ],
  },
  { key: iacaKeys.privateKey, subjectDer: iacaName, keyIdentifier: iacaKeyId },
);
const dsKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ds = certificate(
  'Test DS',
  dsKeys.publicKey,
  { key: iacaKeys.privateKey, name: iacaName, keyId: iacaKeyId },
  false,
);
const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const anchors = new TrustAnchors([{ name: 'iaca', certificate: parseCertificate(iaca, 'MALFORMED_TRUST_ANCHOR') }]);
const transcript = cbor([null, null, ['TestHandover', new Uint8Array(32).fill(9)]]);

const MDL = 'org.iso.18013.5.1.mDL';
const NS = 'org.iso.18013.5.1';

interface Build {
  docType?: string;
  msoDocType?: string;
  elements?: Record<string, unknown>;
  digestAlgorithm?: string;
  hash?: string;
  version?: string;
  validFrom?: number;
  validUntil?: number;
  x5chain?: Uint8Array[];
  transcript?: Uint8Array;
  deviceAuth?: (payload: Uint8Array) => Map<string, unknown>;
}

function build(options: Build = {}) {
  const docType = options.docType ?? MDL;
  const elements = options.elements ?? { family_name: 'Mustermann', given_name: 'Erika', age_over_18: true };
  const items = Object.entries(elements).map(
    ([elementIdentifier, elementValue], digestID) =>
      new Tag(
        24,
        cbor(
          new Map<string, unknown>([
            ['digestID', digestID],
            ['random', new Uint8Array(randomBytes(16))],
            ['elementIdentifier', elementIdentifier],
            ['elementValue', elementValue],
          ]),
        ),
      ),
  );
  const hash = options.hash ?? 'sha256';
  const digests = new Map(
    items.map((item, digestID) => [digestID, new Uint8Array(createHash(hash).update(cbor(item)).digest())]),
  );
  const mso = new Map<string, unknown>([
    ['version', options.version ?? '1.0'],
    ['digestAlgorithm', options.digestAlgorithm ?? 'SHA-256'],
    ['valueDigests', new Map([[NS, digests]])],
    ['deviceKeyInfo', new Map([['deviceKey', publicKeyToCoseKey(device.publicKey)]])],
    ['docType', options.msoDocType ?? docType],
    [
      'validityInfo',
      new Map([
        ['signed', tdate(NOW - DAY)],
        ['validFrom', tdate(options.validFrom ?? NOW - DAY)],
        ['validUntil', tdate(options.validUntil ?? NOW + 30 * DAY)],
      ]),
    ],
  ]);
  const issuerAuth = signCoseSign1({
    payload: cbor(new Tag(24, cbor(mso))),
    key: dsKeys.privateKey,
    x5chain: options.x5chain ?? [ds.der],
  });
  const issuerSigned = new Map<string, unknown>([
    ['nameSpaces', new Map([[NS, items]])],
    ['issuerAuth', rawCbor(issuerAuth)],
  ]);
  const deviceNameSpaces = new Tag(24, cbor(new Map()));
  const deviceAuthentication = cbor(
    new Tag(24, cbor(['DeviceAuthentication', rawCbor(options.transcript ?? transcript), docType, deviceNameSpaces])),
  );
  const deviceAuth =
    options.deviceAuth?.(deviceAuthentication) ??
    new Map([
      [
        'deviceSignature',
        rawCbor(signCoseSign1({ payload: deviceAuthentication, key: device.privateKey, detached: true })),
      ],
    ]);
  const response = cbor(
    new Map<string, unknown>([
      ['version', '1.0'],
      [
        'documents',
        [
          new Map<string, unknown>([
            ['docType', docType],
            ['issuerSigned', issuerSigned],
            [
              'deviceSigned',
              new Map<string, unknown>([
                ['nameSpaces', deviceNameSpaces],
                ['deviceAuth', deviceAuth],
              ]),
            ],
          ]),
        ],
      ],
      ['status', 0],
    ]),
  );
  return { response, issuerSigned: cbor(issuerSigned) };
}

/** A value that cbor2 writes as `bytes` verbatim: encoded CBOR embedded as itself, not as a bstr. */
function rawCbor(bytes: Uint8Array) {
  return {
    toCBOR(writer: { write(data: Uint8Array): void }) {
      writer.write(bytes);
      return undefined;
    },
  };
}

const options: VerifyMdocOptions = { anchors, at: NOW, sessionTranscript: transcript };
const codeOf = (bytes: Uint8Array, overrides: Partial<VerifyMdocOptions> = {}) => {
  const result = mdocVerificationResult(bytes, { ...options, ...overrides });
  return result.verified ? 'verified' : result.code;
};

describe('mdoc verification (synthetic)', () => {
  it('verifies a DeviceResponse chained to an IACA, with a deviceSignature', () => {
    const result = verifyMdoc(build().response, options);
    expect(result.documents[0]).toMatchObject({
      docType: MDL,
      issuer: 'CN=Test DS, C=UT',
      deviceAuth: 'signature',
      namespaces: { [NS]: { family_name: 'Mustermann', given_name: 'Erika', age_over_18: true } },
    });
  });

  it('accepts the IACA carried in x5chain', () => {
    expect(codeOf(build({ x5chain: [ds.der, new Uint8Array(iaca)] }).response)).toBe('verified');
  });

  it('refuses a deviceSignature over another session transcript', () => {
    const other = cbor([null, null, ['TestHandover', new Uint8Array(32).fill(8)]]);
    expect(codeOf(build({ transcript: other }).response)).toBe('MDOC_DEVICE_SIGNATURE_INVALID');
    expect(codeOf(build().response, { sessionTranscript: other })).toBe('MDOC_DEVICE_SIGNATURE_INVALID');
  });

  it('refuses a deviceSignature by another key', () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const deviceAuth = (payload: Uint8Array) =>
      new Map([['deviceSignature', rawCbor(signCoseSign1({ payload, key: stranger, detached: true }))]]);
    expect(codeOf(build({ deviceAuth }).response)).toBe('MDOC_DEVICE_SIGNATURE_INVALID');
  });

  it('refuses deviceAuth with both or neither member, or an attached payload', () => {
    const both = () =>
      new Map<string, unknown>([
        ['deviceSignature', rawCbor(signCoseSign1({ payload: new Uint8Array(1), key: device.privateKey }))],
        ['deviceMac', null],
      ]);
    expect(codeOf(build({ deviceAuth: both }).response)).toBe('MDOC_DEVICE_AUTH_MALFORMED');
    expect(codeOf(build({ deviceAuth: () => new Map() }).response)).toBe('MDOC_DEVICE_AUTH_MALFORMED');
    const attached = (payload: Uint8Array) =>
      new Map([['deviceSignature', rawCbor(signCoseSign1({ payload, key: device.privateKey }))]]);
    expect(codeOf(build({ deviceAuth: attached }).response)).toBe('MDOC_DEVICE_AUTH_MALFORMED');
  });

  it('verifies a bare IssuerSigned (docType from the MSO, no device authentication)', () => {
    const result = verifyMdoc(build().issuerSigned, options);
    expect(result.documents[0]).toMatchObject({ docType: MDL, deviceAuth: 'absent' });
  });

  it('verifies SHA-384 and SHA-512 digests', () => {
    expect(codeOf(build({ digestAlgorithm: 'SHA-384', hash: 'sha384' }).response)).toBe('verified');
    expect(codeOf(build({ digestAlgorithm: 'SHA-512', hash: 'sha512' }).response)).toBe('verified');
  });

  it('refuses MSO deviations', () => {
    expect(codeOf(build({ msoDocType: 'org.example.other' }).response)).toBe('MDOC_DOCTYPE_MISMATCH');
    expect(codeOf(build({ version: '2.0' }).response)).toBe('MDOC_VERSION_UNSUPPORTED');
    expect(codeOf(build({ digestAlgorithm: 'SHA-1', hash: 'sha1' }).response)).toBe(
      'MDOC_DIGEST_ALGORITHM_UNSUPPORTED',
    );
    // SHA-256 named, SHA-384 digests: the lengths do not fit.
    expect(codeOf(build({ hash: 'sha384' }).response)).toBe('MDOC_MSO_MALFORMED');
  });

  it('refuses outside validityInfo', () => {
    const bytes = build({ validUntil: NOW + DAY }).response;
    expect(codeOf(bytes, { at: NOW + 2 * DAY })).toBe('MDOC_EXPIRED');
    expect(codeOf(bytes, { at: NOW - 2 * DAY })).toBe('MDOC_NOT_YET_VALID');
  });

  it('refuses issuerAuth without x5chain, or with an untrusted chain', () => {
    expect(codeOf(build({ x5chain: [] }).response)).toBe('MDOC_ISSUER_CHAIN_MISSING');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const otherAnchors = new TrustAnchors([
      {
        name: 'other',
        certificate: parseCertificate(
          certificate('Other IACA', other.publicKey, undefined, true).der,
          'MALFORMED_TRUST_ANCHOR',
        ),
      },
    ]);
    expect(codeOf(build().response, { anchors: otherAnchors })).toBe('MDOC_ISSUER_UNTRUSTED');
  });

  it('keeps an element named __proto__ as data', () => {
    const result = verifyMdoc(build({ elements: { ['__proto__']: 'x' } }).response, options);
    const elements = result.documents[0]!.namespaces[NS]!;
    expect(Object.getOwnPropertyDescriptor(elements, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(elements)).toBe(Object.prototype);
  });

  it('refuses malformed structures', () => {
    expect(
      codeOf(
        cbor(
          new Map<string, unknown>([
            ['version', '2.0'],
            ['documents', []],
            ['status', 0],
          ]),
        ),
      ),
    ).toBe('MDOC_VERSION_UNSUPPORTED');
    expect(
      codeOf(
        cbor(
          new Map<string, unknown>([
            ['version', '1.0'],
            ['status', 10],
          ]),
        ),
      ),
    ).toBe('MDOC_STATUS_ERROR');
    expect(codeOf(cbor([1, 2]))).toBe('MDOC_MALFORMED');
    expect(
      codeOf(
        cbor(
          new Map<string, unknown>([
            ['version', '1.0'],
            ['status', 0],
            ['extra', 1],
          ]),
        ),
      ),
    ).toBe('MDOC_MALFORMED');
    expect(codeOf(build().response, { sessionTranscript: cbor([1, 2]) })).toBe('MDOC_SESSION_TRANSCRIPT_MALFORMED');
  });
});
