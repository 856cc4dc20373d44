import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { buildCrl, extensions, type RevokedEntry, type Signer } from '../../../crypto/x509/certificate-builder.js';
import { TrustAnchors } from '../../../crypto/x509/chain.js';
import { testPki, type Authority } from '../../../../test/helpers/test-pki.js';
import {
  blobTrustedAt,
  blobTrustedUntil,
  decodeMetadataBlobUnverified,
  verifyMetadataBlob,
  type BlobAlgorithm,
  type CrlSource,
  type VerifyBlobOptions,
} from './blob.js';

const DAY = 86_400_000;
const AT = Date.UTC(2025, 5, 10, 12);
const NEXT_UPDATE = '2025-07-01';
const ROOT_CRL = 'http://crl.test/root.crl';
const INTERMEDIATE_CRL = 'http://crl.test/intermediate.crl';

const { certify, authority } = testPki({
  organization: 'Keyward metadata tests',
  notBefore: AT - 365 * DAY,
  notAfter: AT + 365 * DAY,
});

interface BlobSigner {
  alg: BlobAlgorithm;
  key: KeyObject;
  /** x5c, leaf first. */
  chain: ParsedCertificate[];
}

const KEY_TYPES: Record<BlobAlgorithm, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: () => generateKeyPairSync('ed25519'),
};

function blobSigner(alg: BlobAlgorithm, intermediate: Authority, tail: ParsedCertificate[] = []): BlobSigner {
  const { privateKey, publicKey } = KEY_TYPES[alg]();
  const leaf = certify(`BLOB signer ${alg}`, publicKey, intermediate.signer, undefined, false, [
    extensions.crlDistributionPoints(INTERMEDIATE_CRL),
  ]);
  return { alg, key: privateKey, chain: [leaf, intermediate.certificate, ...tail] };
}

function jwsSignature(alg: string, input: Buffer, key: KeyObject): Buffer {
  switch (alg) {
    case 'RS256':
      return sign('sha256', input, key);
    case 'PS256':
      return sign('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'ES256':
      return sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, input, key);
    default:
      throw new TypeError(alg);
  }
}

const encode = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const entry = (aaguid: string, status = 'FIDO_CERTIFIED_L1') => ({
  aaguid,
  metadataStatement: {
    aaguid,
    description: `Authenticator ${aaguid.slice(0, 8)}`,
    attestationTypes: ['basic_full'],
    attestationRootCertificates: [],
    protocolFamily: 'fido2',
  },
  statusReports: [{ status, effectiveDate: '2024-01-01' }],
  timeOfLastStatusChange: '2024-01-01',
});

const payload = (overrides: Record<string, unknown> = {}) => ({
  legalHeader: 'Test metadata: not for production.',
  no: 12,
  nextUpdate: NEXT_UPDATE,
  entries: [entry('00000000-0000-4000-8000-000000000001'), entry('00000000-0000-4000-8000-000000000002')],
  ...overrides,
});

/** A compact JWS of `body` (an object, or JSON text as is) signed by `signer`; `header` entries replace the usual ones. */
function signBlob(signer: BlobSigner, body: unknown = payload(), header: Record<string, unknown> = {}): string {
  const protectedHeader = {
    alg: signer.alg,
    typ: 'JWT',
    x5c: signer.chain.map((certificate) => certificate.der.toString('base64')),
    ...header,
  };
  const input = `${encode(protectedHeader)}.${encode(body)}`;
  return `${input}.${jwsSignature(signer.alg, Buffer.from(input), signer.key).toString('base64url')}`;
}

interface Pki {
  root: Authority;
  intermediate: Authority;
  anchors: TrustAnchors;
  signers: Record<BlobAlgorithm, BlobSigner>;
  crl(issuer: Authority, revoked?: RevokedEntry[], times?: { thisUpdate: number; nextUpdate: number }): Buffer;
}

function pki(name: string): Pki {
  const root = authority(`${name} root`);
  const intermediate = authority(`${name} intermediate`, root, [extensions.crlDistributionPoints(ROOT_CRL)]);
  const signers = Object.fromEntries(
    (['RS256', 'ES256', 'PS256', 'EdDSA'] as const).map((alg) => [alg, blobSigner(alg, intermediate)]),
  ) as Record<BlobAlgorithm, BlobSigner>;
  return {
    root,
    intermediate,
    anchors: new TrustAnchors([{ name: `${name} root`, certificate: root.certificate }]),
    signers,
    crl: (issuer, revoked = [], times = { thisUpdate: AT - DAY, nextUpdate: AT + 7 * DAY }) =>
      buildCrl(revoked, issuer.signer, { ...times, number: 1n }),
  };
}

const revocationOf = (certificate: ParsedCertificate): RevokedEntry => ({
  serial: certificate.serial,
  revokedAt: AT - 2 * DAY,
  reason: 'keyCompromise',
});

/** A CRL source answering from `files` by URL, recording what was asked. */
function crlFiles(files: Record<string, Uint8Array | Error>): CrlSource & { asked: string[] } {
  const asked: string[] = [];
  const source = async (url: string) => {
    asked.push(url);
    const file = files[url];
    if (file instanceof Error) throw file;
    return file;
  };
  return Object.assign(source, { asked });
}

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as { category: string; code: string; detail?: string; status: number };
  }
  throw new Error('expected a rejection');
};

let test: Pki;
let other: Pki;
let options: (overrides?: Partial<VerifyBlobOptions>) => VerifyBlobOptions;

beforeAll(() => {
  test = pki('Test MDS');
  other = pki('Other');
  options = (overrides = {}) => ({
    anchors: test.anchors,
    at: AT,
    crls: crlFiles({}),
    crlCheck: 'off',
    graceDays: 7,
    ...overrides,
  });
});

describe.each(['RS256', 'ES256', 'PS256', 'EdDSA'] as const)('a BLOB signed with %s', (alg) => {
  const signer = () => test.signers[alg];

  it('verifies and converts its entries', async () => {
    const blob = await verifyMetadataBlob(signBlob(signer()), options());
    expect(blob).toMatchObject({
      no: 12,
      nextUpdate: NEXT_UPDATE,
      legalHeader: 'Test metadata: not for production.',
      signer: `O=Keyward metadata tests, CN=BLOB signer ${alg}`,
      anchor: 'Test MDS root',
      warnings: [],
    });
    expect(blob.entries.map((item) => [item.aaguid, item.source])).toEqual([
      ['00000000-0000-4000-8000-000000000001', 'mds:12'],
      ['00000000-0000-4000-8000-000000000002', 'mds:12'],
    ]);
  });

  it('is refused unless its no is greater than the one held', async () => {
    await expect(verifyMetadataBlob(signBlob(signer()), options({ previousNo: 11 }))).resolves.toMatchObject({
      no: 12,
    });
    for (const previousNo of [12, 13]) {
      expect(await rejection(verifyMetadataBlob(signBlob(signer()), options({ previousNo })))).toMatchObject({
        category: 'TRUST',
        code: 'METADATA_BLOB_NOT_NEWER',
      });
    }
  });

  it('is refused past nextUpdate beyond the grace days, and accepted within them', async () => {
    const endOfGrace = Date.UTC(2025, 6, 1) + 8 * DAY;
    await expect(verifyMetadataBlob(signBlob(signer()), options({ at: endOfGrace - 1 }))).resolves.toMatchObject({
      no: 12,
    });
    expect(await rejection(verifyMetadataBlob(signBlob(signer()), options({ at: endOfGrace })))).toMatchObject({
      category: 'TIME',
      code: 'METADATA_BLOB_STALE',
    });
    expect(
      await rejection(verifyMetadataBlob(signBlob(signer()), options({ at: Date.UTC(2025, 6, 2), graceDays: 0 }))),
    ).toMatchObject({ code: 'METADATA_BLOB_STALE' });
  });

  it('is refused when its signature does not verify', async () => {
    const jwt = signBlob(signer());
    const dot = jwt.lastIndexOf('.');
    const signature = Buffer.from(jwt.slice(dot + 1), 'base64url');
    signature[signature.length >> 1]! ^= 0x01;
    const flipped = `${jwt.slice(0, dot)}.${signature.toString('base64url')}`;
    // The same signature over another payload.
    const [header, , original] = jwt.split('.');
    const swapped = `${header}.${encode(payload({ no: 13 }))}.${original}`;
    for (const forged of [flipped, swapped]) {
      expect(await rejection(verifyMetadataBlob(forged, options()))).toMatchObject({
        category: 'TRUST',
        code: 'METADATA_BLOB_SIGNATURE_INVALID',
      });
    }
  });

  it('is refused when its chain ends in another root', async () => {
    expect(await rejection(verifyMetadataBlob(signBlob(other.signers[alg]), options()))).toMatchObject({
      category: 'TRUST',
      code: 'UNTRUSTED_ROOT',
    });
  });

  it('is refused when its root’s CRL revokes the intermediate, whatever the CRL check mode', async () => {
    const crls = {
      [ROOT_CRL]: test.crl(test.root, [revocationOf(test.intermediate.certificate)]),
      [INTERMEDIATE_CRL]: test.crl(test.intermediate),
    };
    for (const crlCheck of ['ifAvailable', 'required'] as const) {
      const error = await rejection(
        verifyMetadataBlob(signBlob(signer()), options({ crlCheck, crls: crlFiles(crls) })),
      );
      expect(error).toMatchObject({ category: 'TRUST', code: 'METADATA_CERTIFICATE_REVOKED' });
      expect(error.detail).toContain(`certificate 1 (O=Keyward metadata tests, CN=Test MDS intermediate)`);
      expect(error.detail).toContain('keyCompromise');
    }
    const source = crlFiles(crls);
    await expect(verifyMetadataBlob(signBlob(signer()), options({ crls: source }))).resolves.toBeDefined();
    expect(source.asked).toEqual([]);
  });

  it('is refused when the intermediate’s CRL revokes the signing certificate', async () => {
    const crls = crlFiles({
      [ROOT_CRL]: test.crl(test.root),
      [INTERMEDIATE_CRL]: test.crl(test.intermediate, [revocationOf(signer().chain[0]!)]),
    });
    expect(
      await rejection(verifyMetadataBlob(signBlob(signer()), options({ crlCheck: 'ifAvailable', crls }))),
    ).toMatchObject({ code: 'METADATA_CERTIFICATE_REVOKED' });
  });

  it('refuses alg none and HS256 (keyed with the signer’s public key), before anything else', async () => {
    const x5c = signer().chain.map((certificate) => certificate.der.toString('base64'));
    const body = encode(payload());
    const none = `${encode({ alg: 'none', typ: 'JWT', x5c })}.${body}.`;
    const hsInput = `${encode({ alg: 'HS256', typ: 'JWT', x5c })}.${body}`;
    const hs256 = `${hsInput}.${createHmac('sha256', signer().chain[0]!.spki).update(hsInput).digest('base64url')}`;
    for (const jwt of [none, hs256]) {
      expect(await rejection(verifyMetadataBlob(jwt, options()))).toMatchObject({
        category: 'CONTENT',
        code: 'METADATA_BLOB_ALGORITHM_UNSUPPORTED',
      });
    }
  });

  it('is refused when the header names another algorithm than the signing key’s', async () => {
    const wrong: BlobAlgorithm = alg === 'ES256' ? 'RS256' : 'ES256';
    const jwt = signBlob({ ...signer(), alg: wrong, key: test.signers[wrong].key });
    expect(await rejection(verifyMetadataBlob(jwt, options()))).toMatchObject({
      code: 'METADATA_BLOB_SIGNATURE_INVALID',
    });
  });
});

describe('CRL checks of the signing chain', () => {
  const good = () => ({ [ROOT_CRL]: test.crl(test.root), [INTERMEDIATE_CRL]: test.crl(test.intermediate) });
  const jwt = () => signBlob(test.signers.ES256);

  it('checks the signing certificate and the intermediate, never the anchor', async () => {
    const crls = crlFiles(good());
    const blob = await verifyMetadataBlob(jwt(), options({ crlCheck: 'required', crls }));
    expect(blob.warnings).toEqual([]);
    expect(crls.asked.sort()).toEqual([INTERMEDIATE_CRL, ROOT_CRL]);
    // With the root carried in x5c the same two are looked up.
    const carried = blobSigner('ES256', test.intermediate, [test.root.certificate]);
    const withRoot = crlFiles(good());
    await expect(
      verifyMetadataBlob(signBlob(carried), options({ crlCheck: 'required', crls: withRoot })),
    ).resolves.toMatchObject({
      anchor: 'Test MDS root',
    });
    expect(withRoot.asked.sort()).toEqual([INTERMEDIATE_CRL, ROOT_CRL]);
  });

  it('ifAvailable: goes on with a warning for each CRL that cannot be obtained', async () => {
    const unreachable: Record<string, Uint8Array | Error>[] = [
      {},
      { [ROOT_CRL]: new Error('connection refused'), [INTERMEDIATE_CRL]: new Error('timeout') },
    ];
    for (const files of unreachable) {
      const blob = await verifyMetadataBlob(jwt(), options({ crlCheck: 'ifAvailable', crls: crlFiles(files) }));
      expect(blob.warnings).toHaveLength(2);
      expect(blob.warnings[0]).toContain('certificate 0');
      expect(blob.warnings[0]).toContain(INTERMEDIATE_CRL);
      expect(blob.warnings[1]).toContain(ROOT_CRL);
    }
  });

  it('required: refuses when a CRL cannot be obtained', async () => {
    const error = await rejection(
      verifyMetadataBlob(jwt(), options({ crlCheck: 'required', crls: crlFiles({ [ROOT_CRL]: test.crl(test.root) }) })),
    );
    expect(error).toMatchObject({ category: 'INTERNAL', status: 503, code: 'METADATA_CRL_UNAVAILABLE' });
    expect(error.detail).toContain(INTERMEDIATE_CRL);
  });

  it('required: refuses a certificate without a distribution point; ifAvailable warns', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const leaf = certify('BLOB signer without CRL', publicKey, test.intermediate.signer, undefined, false, []);
    const signer: BlobSigner = { alg: 'ES256', key: privateKey, chain: [leaf, test.intermediate.certificate] };
    expect(
      await rejection(verifyMetadataBlob(signBlob(signer), options({ crlCheck: 'required', crls: crlFiles(good()) }))),
    ).toMatchObject({
      code: 'METADATA_CRL_UNAVAILABLE',
      detail: expect.stringContaining('no http(s) CRL distribution point'),
    });
    const blob = await verifyMetadataBlob(
      signBlob(signer),
      options({ crlCheck: 'ifAvailable', crls: crlFiles(good()) }),
    );
    expect(blob.warnings).toEqual([expect.stringContaining('no http(s) CRL distribution point')]);
  });

  it('a CRL that is not its issuer’s: refused when required, ignored with a warning when ifAvailable (even if it lists the certificate)', async () => {
    // Named for the root but signed by another key, "revoking" the intermediate.
    const forgedSigner: Signer = { ...test.root.signer, key: other.root.signer.key };
    const forged = buildCrl([revocationOf(test.intermediate.certificate)], forgedSigner, {
      thisUpdate: AT - DAY,
      nextUpdate: AT + DAY,
      number: 2n,
    });
    const garbage = Buffer.from('not a CRL');
    for (const bad of [forged, garbage, other.crl(other.root)]) {
      const files = { ...good(), [ROOT_CRL]: bad };
      expect(
        await rejection(verifyMetadataBlob(jwt(), options({ crlCheck: 'required', crls: crlFiles(files) }))),
      ).toMatchObject({
        category: 'TRUST',
        code: 'METADATA_CRL_INVALID',
      });
      const blob = await verifyMetadataBlob(jwt(), options({ crlCheck: 'ifAvailable', crls: crlFiles(files) }));
      expect(blob.warnings).toEqual([expect.stringContaining('certificate 1')]);
    }
  });

  it('an out-of-date CRL: refused when required, a warning when ifAvailable, and what it lists is still revoked', async () => {
    const stale = test.crl(test.intermediate, [], { thisUpdate: AT - 10 * DAY, nextUpdate: AT - DAY });
    const files = { ...good(), [INTERMEDIATE_CRL]: stale };
    expect(
      await rejection(verifyMetadataBlob(jwt(), options({ crlCheck: 'required', crls: crlFiles(files) }))),
    ).toMatchObject({
      category: 'TIME',
      code: 'METADATA_CRL_STALE',
    });
    const blob = await verifyMetadataBlob(jwt(), options({ crlCheck: 'ifAvailable', crls: crlFiles(files) }));
    expect(blob.warnings).toEqual([expect.stringContaining('was due for renewal')]);

    const staleListing = test.crl(test.intermediate, [revocationOf(test.signers.ES256.chain[0]!)], {
      thisUpdate: AT - 10 * DAY,
      nextUpdate: AT - DAY,
    });
    expect(
      await rejection(
        verifyMetadataBlob(
          jwt(),
          options({ crlCheck: 'ifAvailable', crls: crlFiles({ ...good(), [INTERMEDIATE_CRL]: staleListing }) }),
        ),
      ),
    ).toMatchObject({ code: 'METADATA_CERTIFICATE_REVOKED' });
  });

  it('fetches nothing for a BLOB that fails before revocation (forged, replayed or stale)', async () => {
    const crls = crlFiles(good());
    const [header, body] = jwt().split('.');
    await rejection(verifyMetadataBlob(`${header}.${body}.${'A'.repeat(86)}`, options({ crlCheck: 'required', crls })));
    await rejection(verifyMetadataBlob(jwt(), options({ crlCheck: 'required', crls, previousNo: 12 })));
    await rejection(verifyMetadataBlob(jwt(), options({ crlCheck: 'required', crls, at: AT + 60 * DAY })));
    expect(crls.asked).toEqual([]);
  });
});

describe('BLOB form', () => {
  const signer = () => test.signers.ES256;
  const malformed = { category: 'CONTENT', code: 'METADATA_BLOB_MALFORMED' };

  it('refuses what is not a three-part compact JWS of JSON objects', async () => {
    const jwt = signBlob(signer());
    const bad = [
      '',
      'a.b',
      `${jwt}.x`,
      `${jwt}=`,
      `=${jwt}`,
      `${encode('[1]')}.${jwt.slice(jwt.indexOf('.') + 1)}`,
      signBlob(signer(), 'not JSON'),
      signBlob(signer(), '[]'),
    ];
    for (const token of bad) {
      expect(await rejection(verifyMetadataBlob(token, options()))).toMatchObject(malformed);
    }
    expect(await rejection(verifyMetadataBlob(jwt, options({ maxLength: jwt.length - 1 })))).toMatchObject(malformed);
  });

  it('refuses a typ other than JWT, a crit header and a missing or oversized x5c', async () => {
    expect(
      await rejection(verifyMetadataBlob(signBlob(signer(), payload(), { typ: 'JOSE+JSON' }), options())),
    ).toMatchObject(malformed);
    expect(
      await rejection(verifyMetadataBlob(signBlob(signer(), payload(), { crit: ['b64'], b64: true }), options())),
    ).toMatchObject({
      code: 'METADATA_BLOB_ALGORITHM_UNSUPPORTED',
    });
    expect(
      await rejection(verifyMetadataBlob(signBlob(signer(), payload(), { x5c: undefined }), options())),
    ).toMatchObject(malformed);
    expect(await rejection(verifyMetadataBlob(signBlob(signer(), payload(), { x5c: [] }), options()))).toMatchObject({
      code: 'CERTIFICATE_CHAIN_EMPTY',
    });
    const long = Array(6).fill(signer().chain[0]!.der.toString('base64'));
    expect(await rejection(verifyMetadataBlob(signBlob(signer(), payload(), { x5c: long }), options()))).toMatchObject({
      code: 'CERTIFICATE_CHAIN_TOO_LONG',
    });
    await expect(
      verifyMetadataBlob(signBlob(signer(), payload(), { typ: undefined }), options()),
    ).resolves.toBeDefined();
  });

  it('refuses payloads with duplicate members or without a serial number, a nextUpdate date or entries', async () => {
    const duplicate = `{"no":12,"no":99,"nextUpdate":"${NEXT_UPDATE}","entries":[]}`;
    for (const body of [
      duplicate,
      payload({ no: 12.5 }),
      payload({ no: '12' }),
      payload({ no: -1 }),
      payload({ nextUpdate: '2025-02-30' }),
      payload({ nextUpdate: '1 July 2025' }),
      payload({ entries: {} }),
      payload({ legalHeader: 7 }),
    ]) {
      expect(await rejection(verifyMetadataBlob(signBlob(signer(), body), options()))).toMatchObject(malformed);
    }
  });

  it('leaves out an entry it cannot use, with a warning, and keeps UAF entries for counting', async () => {
    const uaf = {
      aaid: '4e4e#4005',
      metadataStatement: {
        aaid: '4e4e#4005',
        description: 'UAF authenticator',
        attestationTypes: ['basic_full'],
        attestationRootCertificates: [],
      },
      statusReports: [],
    };
    const broken = { ...entry('00000000-0000-4000-8000-000000000009'), aaguid: 'not-a-uuid' };
    const blob = await verifyMetadataBlob(
      signBlob(signer(), payload({ entries: [entry('00000000-0000-4000-8000-000000000001'), broken, uaf] })),
      options(),
    );
    expect(blob.entries.map((item) => item.description)).toEqual(['Authenticator 00000000', 'UAF authenticator']);
    expect(blob.warnings).toEqual(['entry 1 ("not-a-uuid") left out: aaguid is not a dashed UUID']);
  });

  it('decodes a stored BLOB without verifying it', () => {
    const decoded = decodeMetadataBlobUnverified(signBlob(other.signers.RS256));
    expect(decoded).toMatchObject({
      no: 12,
      nextUpdate: NEXT_UPDATE,
      signer: 'O=Keyward metadata tests, CN=BLOB signer RS256',
    });
    expect(decoded.entries).toHaveLength(2);
    expect(() => decodeMetadataBlobUnverified('x.y.z')).toThrow(expect.objectContaining(malformed));
  });
});

describe('blobTrustedAt', () => {
  it('trusts a BLOB to the end of its nextUpdate day plus the grace days (UTC)', () => {
    const until = Date.UTC(2025, 6, 8);
    expect(blobTrustedUntil(NEXT_UPDATE, 7)).toBe(Date.UTC(2025, 6, 9));
    expect(blobTrustedAt(NEXT_UPDATE, until - 1, 6)).toBe(true);
    expect(blobTrustedAt(NEXT_UPDATE, until, 6)).toBe(false);
    expect(blobTrustedAt({ nextUpdate: NEXT_UPDATE }, Date.UTC(2025, 6, 1, 23, 59), 0)).toBe(true);
    expect(blobTrustedAt({ nextUpdate: NEXT_UPDATE }, Date.UTC(2025, 6, 2), 0)).toBe(false);
    expect(blobTrustedAt('2025-13-01', 0, 7)).toBe(false);
  });
});
