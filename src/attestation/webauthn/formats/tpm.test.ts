import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import * as der from '../../../crypto/asn1/der-writer.js';
import { spkiOf } from '../../../crypto/keys.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  randomSerial,
  signed,
  type Extension,
} from '../../../crypto/x509/certificate-builder.js';
import { TrustAnchors } from '../../../crypto/x509/chain.js';
import type { FormatContext, FormatInput } from '../types.js';
import {
  coseKey,
  decodedVectors,
  failure,
  parsedAuthenticatorData,
  selfSignedRoot,
} from '../../../../test/webauthn/build-registration.js';
import { TPM_VENDORS, tpmFormat } from './tpm.js';
import { TPM_ST_ATTEST_CERTIFY, parseCertInfo, parsePubArea } from './tpm-structures.js';

const NOW = Date.UTC(2025, 5, 1);
const DAY = 24 * 3600 * 1000;

const CONTEXT: FormatContext = {
  rootsFor: () => new TrustAnchors([]),
  requireCtsProfileMatch: true,
  safetynetMaxAgeMs: 60_000,
  maxChainLength: 5,
};

// --- the SimpleWebAuthn registrations ---------------------------------------------------------

function vectorInputs(): { name: string; input: FormatInput }[] {
  return decodedVectors().flatMap(({ name, verifyAt, object, clientDataHash }) => {
    if (object.fmt !== 'tpm') return [];
    const at = verifyAt ? Date.parse(verifyAt) : NOW;
    return [{ name, input: { attStmt: object.attStmt, authData: object.authData, clientDataHash, at } }];
  });
}

const FIDO_TEST_TPM = {
  manufacturer: 'id:FFFFF1D0',
  vendor: 'FIDO Alliance (conformance testing)',
  model: 'NPCT6xx',
  version: 'id:13',
};

describe('tpm: SimpleWebAuthn registrations', () => {
  const expected: Record<string, object> = {
    'should verify TPM response': FIDO_TEST_TPM,
    'should verify SHA1 TPM response': FIDO_TEST_TPM,
    'should verify SHA256 TPM response': FIDO_TEST_TPM,
    'should validate TPM RSA response (SHA256)': FIDO_TEST_TPM,
    'should validate TPM RSA response (SHA1)': FIDO_TEST_TPM,
    'should verify TPM response with spec-compliant tcgAtTpm SAN structure': {
      manufacturer: 'id:53544D20',
      vendor: 'STMicroelectronics',
      model: 'ST33HTPxAHA6',
      version: 'id:00470004',
    },
    'should verify TPM response with non-spec-compliant tcgAtTpm SAN structure': {
      manufacturer: 'id:4E544300',
      vendor: 'Nuvoton Technology',
      model: 'NPCT75x',
      version: 'id:72',
    },
    'should verify TPM response with ECC public area type': {
      manufacturer: 'id:4E544300',
      vendor: 'Nuvoton Technology',
      model: 'NPCT75x',
      version: 'id:00070002',
    },
  };

  test('every tpm registration is among them', () => {
    expect(
      vectorInputs()
        .map(({ name }) => name)
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });

  test.each(Object.keys(expected))('"%s": a valid AttCA statement', async (name) => {
    const { input } = vectorInputs().find((vector) => vector.name === name)!;
    const result = await tpmFormat.verify(input, CONTEXT);
    expect(result.attestationType).toBe('attca');
    expect(result.trustedBy).toBeUndefined();
    expect(result.trustPath).toHaveLength(2);
    expect(result.trustPath[0]!.subjectDer).toEqual(new Uint8Array([0x30, 0]));
    expect(result.facts).toEqual(expected[name]);
  });

  test('a statement over other client data is refused', async () => {
    const { input } = vectorInputs()[0]!;
    const other = { ...input, clientDataHash: createHash('sha256').update('other').digest() };
    expect(await failure(() => tpmFormat.verify(other, CONTEXT))).toMatchObject({ code: 'TPM_EXTRA_DATA_MISMATCH' });
  });

  test("another registration's pubArea is refused", async () => {
    const [first, second] = vectorInputs();
    const attStmt = new Map(first!.input.attStmt);
    attStmt.set('pubArea', second!.input.attStmt.get('pubArea'));
    expect(await failure(() => tpmFormat.verify({ ...first!.input, attStmt }, CONTEXT))).toMatchObject({
      code: 'TPM_PUBLIC_KEY_MISMATCH',
    });
  });
});

// --- statements made here -------------------------------------------------------------------

const u16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);
const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes;
};
const sized = (bytes: Uint8Array) => Buffer.concat([u16(bytes.length), bytes]);

const TPM_ALG_RSA = 0x0001;
const TPM_ALG_SHA1 = 0x0004;
const TPM_ALG_SHA256 = 0x000b;
const TPM_ALG_NULL = 0x0010;
const TPM_ALG_RSASSA = 0x0014;
const TPM_ALG_ECDSA = 0x0018;
const TPM_ALG_ECC = 0x0023;
const TPM_ALG_AES = 0x0006;
const TPM_ALG_CFB = 0x0043;
const TPM_ECC_NIST_P256 = 0x0003;
const NAME_HASHES: Record<number, string> = { [TPM_ALG_SHA1]: 'sha1', [TPM_ALG_SHA256]: 'sha256' };

interface PubAreaOptions {
  nameAlg?: number;
  exponent?: number;
  /** A non-null signing scheme (TPM_ALG_RSASSA / TPM_ALG_ECDSA with SHA-256). */
  scheme?: boolean;
  /** A symmetric definition (AES-128 CFB), as storage keys carry. */
  symmetric?: boolean;
  curveId?: number;
  /** Drop a leading zero byte of x when it has one (TPMs may), else nothing. */
  trailing?: Uint8Array;
}

/** TPMT_PUBLIC of a credential key. */
function pubArea(key: KeyObject, options: PubAreaOptions = {}): Buffer {
  const jwk = key.export({ format: 'jwk' });
  const header = Buffer.concat([
    u16(jwk.kty === 'RSA' ? TPM_ALG_RSA : TPM_ALG_ECC),
    u16(options.nameAlg ?? TPM_ALG_SHA256),
    u32(0x00060472),
    sized(createHash('sha256').update('policy').digest()),
  ]);
  const symmetric = options.symmetric
    ? Buffer.concat([u16(TPM_ALG_AES), u16(128), u16(TPM_ALG_CFB)])
    : u16(TPM_ALG_NULL);
  let body: Buffer;
  if (jwk.kty === 'RSA') {
    const modulus = Buffer.from(jwk.n!, 'base64url');
    body = Buffer.concat([
      symmetric,
      options.scheme ? Buffer.concat([u16(TPM_ALG_RSASSA), u16(TPM_ALG_SHA256)]) : u16(TPM_ALG_NULL),
      u16(modulus.length * 8),
      u32(options.exponent ?? 0),
      sized(modulus),
    ]);
  } else {
    body = Buffer.concat([
      symmetric,
      options.scheme ? Buffer.concat([u16(TPM_ALG_ECDSA), u16(TPM_ALG_SHA256)]) : u16(TPM_ALG_NULL),
      u16(options.curveId ?? TPM_ECC_NIST_P256),
      u16(TPM_ALG_NULL),
      sized(Buffer.from(jwk.x!, 'base64url')),
      sized(Buffer.from(jwk.y!, 'base64url')),
    ]);
  }
  return Buffer.concat([header, body, options.trailing ?? Buffer.alloc(0)]);
}

interface CertInfoOptions {
  magic?: number;
  type?: number;
  extraData?: Uint8Array;
  name?: Uint8Array;
  trailing?: Uint8Array;
}

/** TPMS_ATTEST as TPM2_Certify makes it. */
function certInfo(extraData: Uint8Array, name: Uint8Array, options: CertInfoOptions = {}): Buffer {
  return Buffer.concat([
    u32(options.magic ?? 0xff544347),
    u16(options.type ?? TPM_ST_ATTEST_CERTIFY),
    sized(Buffer.concat([u16(TPM_ALG_SHA256), Buffer.alloc(32, 0x51)])),
    sized(options.extraData ?? extraData),
    Buffer.from('00000001234567890000000500000007', 'hex'),
    Buffer.of(1),
    Buffer.from('2020000100090000', 'hex'),
    sized(options.name ?? name),
    sized(Buffer.concat([u16(TPM_ALG_SHA256), Buffer.alloc(32, 0x52)])),
    options.trailing ?? Buffer.alloc(0),
  ]);
}

const { signer: CA, der: CA_DER } = selfSignedRoot('TPM Test CA', generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const CA_NAME = CA.subjectDer;

const MANUFACTURER = '2.23.133.2.1';
const MODEL = '2.23.133.2.2';
const VERSION = '2.23.133.2.3';
const DEFAULT_TPM: [string, string][] = [
  [MANUFACTURER, 'id:49465800'],
  [MODEL, 'SLB9670'],
  [VERSION, 'id:0007003F'],
];
const attribute = ([oid, value]: [string, string]) => der.sequence(der.oid(oid), der.utf8String(value));

interface AikOptions {
  subject?: Buffer;
  /** The TPM attributes: one RDN each (TCG profile), or all in one RDN. */
  tpm?: [string, string][];
  multiValuedRdn?: boolean;
  sanCritical?: boolean;
  noSan?: boolean;
  eku?: string[] | null;
  basicConstraints?: 'ca' | 'absent' | 'end-entity';
  aaguid?: Uint8Array;
  version1?: boolean;
}

function aikCertificate(key: KeyObject, options: AikOptions = {}): Buffer {
  const tpm = options.tpm ?? DEFAULT_TPM;
  const directoryName = options.multiValuedRdn
    ? der.sequence(der.setOf(...tpm.map(attribute)))
    : der.sequence(...tpm.map((pair) => der.setOf(attribute(pair))));
  const list: Extension[] = [extensions.keyUsage(0)];
  if (!options.noSan) {
    list.push({
      oid: '2.5.29.17',
      critical: options.sanCritical ?? true,
      value: der.sequence(der.element(2, true, 4, directoryName)),
    });
  }
  if (options.eku !== null) list.push(extensions.extendedKeyUsage(...(options.eku ?? ['2.23.133.8.3'])));
  const constraints = options.basicConstraints ?? 'end-entity';
  if (constraints !== 'absent') list.push(extensions.basicConstraints(constraints === 'ca'));
  if (options.aaguid)
    list.push({ oid: '1.3.6.1.4.1.45724.1.1.4', critical: false, value: der.octetString(options.aaguid) });
  const template = {
    serial: randomSerial(),
    subjectDer: options.subject ?? der.sequence(),
    spki: spkiOf(key),
    notBefore: NOW - 30 * DAY,
    notAfter: NOW + 365 * DAY,
    extensions: list,
  };
  if (!options.version1) return buildCertificate(template, CA);
  // The same certificate without the version field: X.509 v1.
  const tbs = der.sequence(
    der.integer(BigInt(`0x${template.serial.toString('hex')}`)),
    der.sequence(der.oid('1.2.840.10045.4.3.2')),
    CA_NAME,
    der.sequence(der.time(template.notBefore), der.time(template.notAfter)),
    template.subjectDer,
    template.spki,
    der.explicit(
      3,
      der.sequence(
        ...list.map((extension) =>
          der.sequence(
            der.oid(extension.oid),
            ...(extension.critical ? [der.boolean(true)] : []),
            der.octetString(extension.value),
          ),
        ),
      ),
    ),
  );
  return signed(tbs, CA.key);
}

const AAGUID = Buffer.from('08987058cadc4b81b6e130de50dcbe96', 'hex');
const RSA_CREDENTIAL = generateKeyPairSync('rsa', { modulusLength: 2048 });
const EC_CREDENTIAL = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const AIK = generateKeyPairSync('rsa', { modulusLength: 2048 });
const EC_AIK = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const authenticatorData = (credential: KeyObject) =>
  parsedAuthenticatorData({ aaguid: AAGUID, credentialId: Buffer.alloc(32, 3), credentialKey: coseKey(credential) });

interface TpmOptions {
  credential?: 'rsa' | 'ec';
  /** The key pubArea describes, when not the credential's. */
  pubAreaKey?: KeyObject;
  pubArea?: PubAreaOptions;
  certInfo?: CertInfoOptions;
  aik?: AikOptions;
  aikKey?: 'rsa' | 'ec';
  alg?: unknown;
  ver?: unknown;
  signingKey?: KeyObject;
  statement?: (attStmt: Map<unknown, unknown>) => void;
}

const HASH_OF: Record<number, string> = { [-257]: 'sha256', [-65535]: 'sha1', [-7]: 'sha256', [-37]: 'sha256' };

function tpmInput(options: TpmOptions = {}): FormatInput {
  const credential = (options.credential === 'ec' ? EC_CREDENTIAL : RSA_CREDENTIAL).publicKey;
  const authData = authenticatorData(credential);
  const clientDataHash = createHash('sha256').update('tpm client data').digest();
  const alg = options.alg === undefined ? (options.aikKey === 'ec' ? -7 : -257) : options.alg;
  const area = pubArea(options.pubAreaKey ?? credential, options.pubArea);
  const nameAlg = options.pubArea?.nameAlg ?? TPM_ALG_SHA256;
  const name = Buffer.concat([
    u16(nameAlg),
    createHash(NAME_HASHES[nameAlg] ?? 'sha256')
      .update(area)
      .digest(),
  ]);
  const extraData = createHash(HASH_OF[alg as number] ?? 'sha256')
    .update(authData.raw)
    .update(clientDataHash)
    .digest();
  const info = certInfo(extraData, name, options.certInfo);
  const aik = options.aikKey === 'ec' ? EC_AIK : AIK;
  const hash = alg === -65535 ? 'sha1' : 'sha256';
  const signingKey = options.signingKey ?? aik.privateKey;
  const sig = sign(
    hash,
    info,
    signingKey.asymmetricKeyType === 'ec' ? { key: signingKey, dsaEncoding: 'der' } : signingKey,
  );
  const attStmt = new Map<unknown, unknown>([
    ['ver', options.ver === undefined ? '2.0' : options.ver],
    ['alg', alg],
    ['x5c', [new Uint8Array(aikCertificate(aik.publicKey, options.aik)), new Uint8Array(CA_DER)]],
    ['sig', new Uint8Array(sig)],
    ['certInfo', new Uint8Array(info)],
    ['pubArea', new Uint8Array(area)],
  ]);
  options.statement?.(attStmt);
  return { attStmt, authData, clientDataHash, at: NOW };
}

describe('tpm: statements made here', () => {
  test.each([
    ['an RSA credential, RSA AIK, RS256', {}],
    ['an ECC credential', { credential: 'ec' }],
    ['an EC AIK signing with ES256', { aikKey: 'ec' }],
    ['RS1 (SHA-1) as older TPMs sign', { alg: -65535 }],
    ['a SHA-1 name', { pubArea: { nameAlg: TPM_ALG_SHA1 } }],
    ['an explicit exponent 65537', { pubArea: { exponent: 65537 } }],
    ['signing schemes and a symmetric definition in pubArea', { pubArea: { scheme: true, symmetric: true } }],
    ['an ECC key with a signing scheme', { credential: 'ec', pubArea: { scheme: true } }],
    ['the TPM identity in one multi-valued RDN', { aik: { multiValuedRdn: true } }],
    ['the attributes in another order', { aik: { tpm: [...DEFAULT_TPM].reverse() } }],
    ['a matching AAGUID extension', { aik: { aaguid: AAGUID } }],
    [
      'a lower-case manufacturer id',
      { aik: { tpm: [[MANUFACTURER, 'id:4e544300'], DEFAULT_TPM[1]!, DEFAULT_TPM[2]!] } },
    ],
    ['several extended key usages', { aik: { eku: ['1.3.6.1.5.5.7.3.2', '2.23.133.8.3'] } }],
  ] as [string, TpmOptions][])('accepts %s', async (_name, options) => {
    const result = await tpmFormat.verify(tpmInput(options), CONTEXT);
    expect(result.attestationType).toBe('attca');
    expect(result.trustPath).toHaveLength(2);
    expect(result.trustedBy).toBeUndefined();
    expect(result.facts).toMatchObject({ model: 'SLB9670', version: 'id:0007003F' });
  });

  test('facts name the manufacturer from the TCG registry', async () => {
    const result = await tpmFormat.verify(tpmInput(), CONTEXT);
    expect(result.facts).toEqual({
      manufacturer: 'id:49465800',
      vendor: 'Infineon',
      model: 'SLB9670',
      version: 'id:0007003F',
    });
    expect(TPM_VENDORS.get('41544D4C')).toBe('Atmel');
    expect(TPM_VENDORS.get('FFFFF1D0')).toMatch(/FIDO/);
  });

  const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const setStatement = (key: unknown, value: unknown) => (attStmt: Map<unknown, unknown>) => {
    if (value === undefined) attStmt.delete(key);
    else attStmt.set(key, value);
  };

  test.each([
    // the statement
    ['ver 1.2', { ver: '1.2' }, 'TPM_VERSION_UNSUPPORTED'],
    ['no ver', { statement: setStatement('ver', undefined) }, 'TPM_STATEMENT_MALFORMED'],
    [
      'a key tpm does not define',
      { statement: setStatement('response', new Uint8Array(4)) },
      'TPM_STATEMENT_MALFORMED',
    ],
    ['an integer key', { statement: setStatement(1, 2) }, 'TPM_STATEMENT_MALFORMED'],
    ['ECDAA', { statement: setStatement('ecdaaKeyId', new Uint8Array(32)) }, 'TPM_ECDAA_UNSUPPORTED'],
    ['an unknown alg', { alg: -999 }, 'TPM_ALGORITHM_UNSUPPORTED'],
    ['EdDSA, which has no hash for extraData', { alg: -8 }, 'TPM_ALGORITHM_UNSUPPORTED'],
    ['a text alg', { alg: 'RS256' }, 'TPM_STATEMENT_MALFORMED'],
    ['no sig', { statement: setStatement('sig', undefined) }, 'TPM_STATEMENT_MALFORMED'],
    ['no certInfo', { statement: setStatement('certInfo', undefined) }, 'TPM_STATEMENT_MALFORMED'],
    ['no pubArea', { statement: setStatement('pubArea', undefined) }, 'TPM_STATEMENT_MALFORMED'],
    ['no x5c', { statement: setStatement('x5c', undefined) }, 'TPM_STATEMENT_MALFORMED'],
    ['an empty x5c', { statement: setStatement('x5c', []) }, 'CERTIFICATE_CHAIN_EMPTY'],
    ['an x5c of text', { statement: setStatement('x5c', ['MIIB']) }, 'TPM_STATEMENT_MALFORMED'],
    // pubArea
    ['a pubArea for another RSA key', { pubAreaKey: otherRsa }, 'TPM_PUBLIC_KEY_MISMATCH'],
    ['a pubArea for another EC key', { credential: 'ec', pubAreaKey: otherEc }, 'TPM_PUBLIC_KEY_MISMATCH'],
    ['an ECC pubArea for an RSA credential', { pubAreaKey: otherEc }, 'TPM_PUBLIC_KEY_MISMATCH'],
    ['an RSA pubArea for an ECC credential', { credential: 'ec', pubAreaKey: otherRsa }, 'TPM_PUBLIC_KEY_MISMATCH'],
    ['another exponent', { pubArea: { exponent: 3 } }, 'TPM_PUBLIC_KEY_MISMATCH'],
    ['another curve (P-384)', { credential: 'ec', pubArea: { curveId: 0x0004 } }, 'TPM_PUBLIC_KEY_MISMATCH'],
    ['a BN curve', { credential: 'ec', pubArea: { curveId: 0x0010 } }, 'TPM_KEY_TYPE_UNSUPPORTED'],
    ['an unknown name algorithm', { pubArea: { nameAlg: 0x0099 } }, 'TPM_KEY_TYPE_UNSUPPORTED'],
    ['bytes after pubArea', { pubArea: { trailing: Buffer.of(0) } }, 'TPM_STRUCTURE_MALFORMED'],
    [
      'a truncated pubArea',
      { statement: (s: Map<unknown, unknown>) => s.set('pubArea', (s.get('pubArea') as Uint8Array).subarray(0, 100)) },
      'TPM_STRUCTURE_MALFORMED',
    ],
    [
      'a keyed-hash pubArea',
      {
        statement: (s: Map<unknown, unknown>) =>
          s.set('pubArea', new Uint8Array([0, 8, ...(s.get('pubArea') as Uint8Array).subarray(2)])),
      },
      'TPM_KEY_TYPE_UNSUPPORTED',
    ],
    // certInfo
    ['a structure the TPM did not generate', { certInfo: { magic: 0xff544348 } }, 'TPM_NOT_TPM_GENERATED'],
    ['a quote instead of a certification', { certInfo: { type: 0x8018 } }, 'TPM_CERTINFO_TYPE_INVALID'],
    ['extraData of other data', { certInfo: { extraData: Buffer.alloc(32, 1) } }, 'TPM_EXTRA_DATA_MISMATCH'],
    [
      'extraData hashed with SHA-1 for RS256',
      { certInfo: { extraData: Buffer.alloc(20, 1) } },
      'TPM_EXTRA_DATA_MISMATCH',
    ],
    [
      'the name of another key',
      { certInfo: { name: Buffer.concat([u16(TPM_ALG_SHA256), Buffer.alloc(32)]) } },
      'TPM_NAME_MISMATCH',
    ],
    [
      'a name under another algorithm',
      { certInfo: { name: Buffer.concat([u16(TPM_ALG_SHA1), Buffer.alloc(32)]) } },
      'TPM_NAME_MISMATCH',
    ],
    ['an empty name', { certInfo: { name: Buffer.alloc(0) } }, 'TPM_NAME_MISMATCH'],
    ['bytes after certInfo', { certInfo: { trailing: Buffer.of(0) } }, 'TPM_STRUCTURE_MALFORMED'],
    [
      'a truncated certInfo',
      { statement: (s: Map<unknown, unknown>) => s.set('certInfo', (s.get('certInfo') as Uint8Array).subarray(0, 60)) },
      'TPM_STRUCTURE_MALFORMED',
    ],
    // the signature
    [
      'a signature by another key',
      { signingKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey },
      'TPM_SIGNATURE_INVALID',
    ],
    ['ES256 named for an RSA AIK', { alg: -7, signingKey: EC_AIK.privateKey }, 'TPM_SIGNATURE_INVALID'],
    // the AIK certificate (§8.3.1)
    ['a version 1 AIK certificate', { aik: { version1: true } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    [
      'an AIK certificate with a subject',
      { aik: { subject: encodeName([['2.5.4.3', 'AIK']]) } },
      'TPM_AIK_CERTIFICATE_INVALID',
    ],
    ['no subjectAltName', { aik: { noSan: true } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    ['a subjectAltName that is not critical', { aik: { sanCritical: false } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    ['no TPM model', { aik: { tpm: [DEFAULT_TPM[0]!, DEFAULT_TPM[2]!] } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    ['no TPM version', { aik: { tpm: DEFAULT_TPM.slice(0, 2) } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    [
      'the manufacturer twice',
      { aik: { tpm: [...DEFAULT_TPM, [MANUFACTURER, 'id:49465800']] } },
      'TPM_AIK_CERTIFICATE_INVALID',
    ],
    [
      'an unknown manufacturer',
      { aik: { tpm: [[MANUFACTURER, 'id:12345678'], DEFAULT_TPM[1]!, DEFAULT_TPM[2]!] } },
      'TPM_MANUFACTURER_UNKNOWN',
    ],
    [
      'a manufacturer by name',
      { aik: { tpm: [[MANUFACTURER, 'Infineon'], DEFAULT_TPM[1]!, DEFAULT_TPM[2]!] } },
      'TPM_MANUFACTURER_UNKNOWN',
    ],
    ['no extended key usage', { aik: { eku: null } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    ['another extended key usage', { aik: { eku: ['1.3.6.1.5.5.7.3.2'] } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    ['a CA certificate', { aik: { basicConstraints: 'ca' } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    ['no basicConstraints', { aik: { basicConstraints: 'absent' } }, 'TPM_AIK_CERTIFICATE_INVALID'],
    ['the AAGUID of another model', { aik: { aaguid: Buffer.alloc(16, 0xaa) } }, 'TPM_AAGUID_MISMATCH'],
  ] as [string, TpmOptions, string][])('refuses %s', async (_name, options, code) => {
    expect(await failure(() => tpmFormat.verify(tpmInput(options), CONTEXT))).toMatchObject({ code });
  });
});

describe('tpm structures', () => {
  test('certInfo and pubArea read back as written', () => {
    const area = pubArea(EC_CREDENTIAL.publicKey, { scheme: true, symmetric: true });
    const parsed = parsePubArea(area);
    const jwk = EC_CREDENTIAL.publicKey.export({ format: 'jwk' });
    expect(parsed).toMatchObject({ type: 'ECC', nameAlg: TPM_ALG_SHA256, objectAttributes: 0x00060472, curveId: 3 });
    if (parsed.type !== 'ECC') throw new Error('ECC expected');
    expect(Buffer.from(parsed.x).toString('base64url')).toBe(jwk.x);
    expect(Buffer.from(parsed.y).toString('base64url')).toBe(jwk.y);

    const info = parseCertInfo(certInfo(Buffer.alloc(32, 7), Buffer.alloc(34, 8)));
    expect(info).toMatchObject({
      magic: 0xff544347,
      type: TPM_ST_ATTEST_CERTIFY,
      clock: { clock: 0x123456789n, resetCount: 5, restartCount: 7, safe: true },
      firmwareVersion: 0x2020000100090000n,
    });
    expect(Buffer.from(info.extraData)).toEqual(Buffer.alloc(32, 7));
    expect(Buffer.from(info.certified!.name)).toEqual(Buffer.alloc(34, 8));
  });

  test('a certInfo of another type is read up to its attested part', () => {
    const info = parseCertInfo(
      certInfo(Buffer.alloc(32), Buffer.alloc(34), { type: 0x8018, trailing: Buffer.alloc(9) }),
    );
    expect(info.type).toBe(0x8018);
    expect(info.certified).toBeUndefined();
  });

  test('every truncation of a pubArea or certInfo is a CONTENT error', () => {
    const area = pubArea(RSA_CREDENTIAL.publicKey);
    const info = certInfo(Buffer.alloc(32), Buffer.alloc(34));
    for (let length = 0; length < area.length; length += 7)
      expect(() => parsePubArea(area.subarray(0, length))).toThrow(expect.objectContaining({ category: 'CONTENT' }));
    for (let length = 0; length < info.length; length++)
      expect(() => parseCertInfo(info.subarray(0, length))).toThrow(
        expect.objectContaining({ code: 'TPM_STRUCTURE_MALFORMED' }),
      );
  });
});
