import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as der from '../../../crypto/asn1/der-writer.js';
import { spkiOf } from '../../../crypto/keys.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  randomSerial,
  type Extension,
} from '../../../crypto/x509/certificate-builder.js';
import { TrustAnchors, type TrustAnchor } from '../../../crypto/x509/chain.js';
import { parseCertificate } from '../../../crypto/x509/certificate.js';
import type { FormatContext, FormatInput, FormatResult } from '../types.js';
import { androidSafetynetFormat } from './android-safetynet.js';
import {
  coseKey,
  decodedVector,
  failure,
  parsedAuthenticatorData,
  selfSignedRoot,
} from '../../../../test/webauthn/build-registration.js';

const NOW = Date.UTC(2025, 5, 1);
const DAY = 24 * 3600 * 1000;
const MINUTE = 60_000;

const GTS_ROOT_R1 = new URL('../../../../assets/roots/gts-root-r1.pem', import.meta.url);

const gtsRoots = () => new TrustAnchors(TrustAnchors.fromPem(readFileSync(GTS_ROOT_R1, 'utf8'), 'GTS Root R1'));

function context(overrides: Partial<FormatContext> & { roots?: TrustAnchors } = {}): FormatContext {
  const { roots = new TrustAnchors([]), ...rest } = overrides;
  return {
    rootsFor: (fmt) => (fmt === 'android-safetynet' ? roots : new TrustAnchors([])),
    requireCtsProfileMatch: true,
    safetynetMaxAgeMs: MINUTE,
    maxChainLength: 5,
    ...rest,
  };
}

// --- the SimpleWebAuthn registrations ---------------------------------------------------------

function vectorInput(name: string): FormatInput & { payload: Record<string, unknown> } {
  const { object, clientDataHash, verifyAt } = decodedVector(name);
  const jws = Buffer.from(object.attStmt.get('response') as Uint8Array).toString();
  return {
    attStmt: object.attStmt,
    authData: object.authData,
    clientDataHash,
    at: Date.parse(verifyAt!),
    payload: JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()),
  };
}

describe('android-safetynet: SimpleWebAuthn registrations', () => {
  test('"should enforce CTS check by default": ctsProfileMatch false is refused by default', async () => {
    const input = vectorInput('should enforce CTS check by default');
    expect(input.payload.ctsProfileMatch).toBe(false);
    const error = await failure(() => androidSafetynetFormat.verify(input, context({ roots: gtsRoots() })));
    expect(error).toMatchObject({ code: 'SAFETYNET_CTS_PROFILE_MISMATCH', category: 'TRUST' });
  });

  test('"should skip CTS check when enforcement option is false": verifies to GTS Root R1 with a warning', async () => {
    const input = vectorInput('should skip CTS check when enforcement option is false');
    const result = await androidSafetynetFormat.verify(
      input,
      context({ roots: gtsRoots(), requireCtsProfileMatch: false }),
    );
    expect(result.attestationType).toBe('basic');
    expect(result.trustedBy).toMatch(/^GTS Root R1: .*CN=GTS Root R1/);
    expect(result.trustPath.map((certificate) => certificate.subject)).toEqual([
      'CN=attest.android.com',
      'C=US, O=Google Trust Services, CN=WR4',
      'C=US, O=Google Trust Services LLC, CN=GTS Root R1',
    ]);
    expect(result.facts).toMatchObject({
      ctsProfileMatch: false,
      basicIntegrity: true,
      evaluationType: 'BASIC',
      timestampMs: 1749501642989,
      ver: '252037029',
    });
    expect(result.warnings).toEqual([expect.stringContaining('ctsProfileMatch false')]);
  });

  test('the same response without a SafetyNet root: a valid statement left to the common trust step', async () => {
    const input = vectorInput('should skip CTS check when enforcement option is false');
    const result = await androidSafetynetFormat.verify(input, context({ requireCtsProfileMatch: false }));
    expect(result.trustedBy).toBeUndefined();
    expect(result.trustPath).toHaveLength(3);
  });

  test('"should reject when a revoked certificate is found": refused as stale, 26 months after its timestamp', async () => {
    const input = vectorInput('should reject when a revoked certificate is found');
    // Made on 2019-08-10, verified on 2021-10-15.
    expect(new Date(input.payload.timestampMs as number).toISOString()).toBe('2019-08-10T08:04:22.773Z');
    expect(new Date(input.at).toISOString()).toBe('2021-10-15T00:00:42.000Z');
    const error = await failure(() => androidSafetynetFormat.verify(input, context({ roots: gtsRoots() })));
    expect(error).toMatchObject({ code: 'SAFETYNET_TIMESTAMP_TOO_OLD', category: 'TIME' });
  });

  test('the revoked-certificate response is otherwise genuine, but its leaf had expired and its root is not shipped', async () => {
    const input = vectorInput('should reject when a revoked certificate is found');
    const wide = { safetynetMaxAgeMs: 3 * 365 * DAY };
    // Signature, nonce and hostname hold: only its age refuses it at its verifyAt …
    const result = (await androidSafetynetFormat.verify(
      input,
      context({ ...wide, roots: gtsRoots() }),
    )) as FormatResult;
    // … and its chain (GTS CA 1O1 under GlobalSign Root CA - R2) does not reach GTS Root R1.
    expect(result.trustedBy).toBeUndefined();
    const [leaf, intermediate] = result.trustPath;
    expect(leaf!.notAfter).toBe(Date.parse('2019-10-09T07:19:45Z'));
    expect(leaf!.notAfter).toBeLessThan(input.at);
    expect(intermediate!.issuer).toBe('OU=GlobalSign Root CA - R2, O=GlobalSign, CN=GlobalSign');
    // With the intermediate configured as a root, the expired leaf fails the chain.
    const intermediateRoot = new TrustAnchors([{ name: 'GTS CA 1O1', certificate: intermediate! }]);
    const error = await failure(() =>
      androidSafetynetFormat.verify(input, context({ ...wide, roots: intermediateRoot })),
    );
    expect(error).toMatchObject({ code: 'CERTIFICATE_EXPIRED', category: 'TIME' });
  });
});

// --- responses made here ------------------------------------------------------------------------

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const ROOT_KEY = rsa();
const { signer: ROOT_SIGNER, der: ROOT_DER } = selfSignedRoot('SafetyNet Test Root', ROOT_KEY);
const TEST_ROOT: TrustAnchor = { name: 'test root', certificate: parseCertificate(ROOT_DER) };
const testRoots = () => new TrustAnchors([TEST_ROOT]);

const dnsNames = (...names: string[]): Extension => ({
  oid: '2.5.29.17',
  critical: false,
  value: der.sequence(...names.map((name) => der.element(2, false, 2, Buffer.from(name)))),
});

const LEAF_KEY = rsa();
function leafCertificate(
  options: { key?: KeyObject; cn?: string; san?: string[] | null; notAfter?: number } = {},
): Buffer {
  const { key = LEAF_KEY.publicKey, cn = 'attest.android.com', san = ['attest.android.com'] } = options;
  return buildCertificate(
    {
      serial: randomSerial(),
      subjectDer: encodeName([
        ['2.5.4.10', 'Google LLC'],
        ['2.5.4.3', cn],
      ]),
      spki: spkiOf(key),
      notBefore: NOW - 30 * DAY,
      notAfter: options.notAfter ?? NOW + 60 * DAY,
      extensions: [extensions.keyUsage(0), ...(san ? [dnsNames(...san)] : [])],
    },
    ROOT_SIGNER,
  );
}

const CREDENTIAL = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const authenticatorData = () =>
  parsedAuthenticatorData({
    aaguid: Buffer.from('b93fd961f2e6462fb12282002247de78', 'hex'),
    credentialId: Buffer.alloc(16, 7),
    credentialKey: coseKey(CREDENTIAL.publicKey),
  });

interface ResponseOptions {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  chain?: Buffer[];
  signingKey?: KeyObject;
  nonce?: string;
  ver?: unknown;
  token?: string;
  extra?: boolean;
}

function safetynetInput(options: ResponseOptions = {}): FormatInput {
  const authData = authenticatorData();
  const clientDataHash = createHash('sha256').update('client data').digest();
  const nonce = options.nonce ?? createHash('sha256').update(authData.raw).update(clientDataHash).digest('base64');
  const chain = options.chain ?? [leafCertificate()];
  const header = { alg: 'RS256', x5c: chain.map((certificate) => certificate.toString('base64')), ...options.header };
  const payload = {
    nonce,
    timestampMs: NOW - 5000,
    apkPackageName: 'com.google.android.gms',
    ctsProfileMatch: true,
    basicIntegrity: true,
    evaluationType: 'BASIC,HARDWARE_BACKED',
    ...options.claims,
  };
  const encodeJson = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), options.signingKey ?? LEAF_KEY.privateKey);
  const token = options.token ?? `${signingInput}.${signature.toString('base64url')}`;
  const attStmt = new Map<unknown, unknown>([
    ['ver', options.ver === undefined ? '21.42.18' : options.ver],
    ['response', new Uint8Array(Buffer.from(token))],
  ]);
  if (options.extra) attStmt.set('alg', -257);
  return { attStmt, authData, clientDataHash, at: NOW };
}

describe('android-safetynet: responses made here', () => {
  test('a genuine response chains to the configured root', async () => {
    const result = await androidSafetynetFormat.verify(safetynetInput(), context({ roots: testRoots() }));
    expect(result).toMatchObject({
      attestationType: 'basic',
      trustedBy: 'test root',
      facts: { ctsProfileMatch: true, basicIntegrity: true, timestampMs: NOW - 5000, ver: '21.42.18' },
      warnings: [],
    });
    expect(result.trustPath).toHaveLength(1);
  });

  test('without roots, or with roots it does not reach, the chain is left to the common trust step', async () => {
    for (const roots of [new TrustAnchors([]), gtsRoots()]) {
      const result = await androidSafetynetFormat.verify(safetynetInput(), context({ roots }));
      expect(result.trustedBy).toBeUndefined();
      expect(result.trustPath).toHaveLength(1);
    }
  });

  test('a chain to the root that fails for another reason is refused', async () => {
    const expired = leafCertificate({ notAfter: NOW - DAY });
    const error = await failure(() =>
      androidSafetynetFormat.verify(safetynetInput({ chain: [expired] }), context({ roots: testRoots() })),
    );
    expect(error).toMatchObject({ code: 'CERTIFICATE_EXPIRED' });
  });

  test.each([
    ['an empty ver', { ver: '' }, 'SAFETYNET_STATEMENT_MALFORMED'],
    ['a numeric ver', { ver: 21 }, 'SAFETYNET_STATEMENT_MALFORMED'],
    ['a key android-safetynet does not define', { extra: true }, 'SAFETYNET_STATEMENT_MALFORMED'],
    ['an empty response', { token: '' }, 'SAFETYNET_STATEMENT_MALFORMED'],
    ['a token of two segments', { token: 'eyJhbGciOiJSUzI1NiJ9.e30' }, 'SAFETYNET_RESPONSE_MALFORMED'],
    ['no x5c header', { header: { x5c: undefined } }, 'SAFETYNET_RESPONSE_MALFORMED'],
    ['an x5c entry in base64url', { header: { x5c: ['MIIB-_'] } }, 'SAFETYNET_RESPONSE_MALFORMED'],
    ['an empty x5c', { header: { x5c: [] } }, 'CERTIFICATE_CHAIN_EMPTY'],
    ['ES256', { header: { alg: 'ES256' } }, 'SAFETYNET_ALGORITHM_UNSUPPORTED'],
    ['alg none', { header: { alg: 'none' } }, 'SAFETYNET_ALGORITHM_UNSUPPORTED'],
    ['a signature by another key', { signingKey: rsa().privateKey }, 'SAFETYNET_SIGNATURE_INVALID'],
    [
      'a nonce for other data',
      { nonce: createHash('sha256').update('x').digest('base64') },
      'SAFETYNET_NONCE_MISMATCH',
    ],
    ['no ctsProfileMatch claim', { claims: { ctsProfileMatch: undefined } }, 'SAFETYNET_RESPONSE_MALFORMED'],
    ['a timestamp as a string', { claims: { timestampMs: String(NOW) } }, 'SAFETYNET_RESPONSE_MALFORMED'],
    ['ctsProfileMatch false', { claims: { ctsProfileMatch: false } }, 'SAFETYNET_CTS_PROFILE_MISMATCH'],
    ['a response 61 s old', { claims: { timestampMs: NOW - 61_000 } }, 'SAFETYNET_TIMESTAMP_TOO_OLD'],
    ['a response dated 61 s ahead', { claims: { timestampMs: NOW + 61_000 } }, 'SAFETYNET_TIMESTAMP_IN_FUTURE'],
  ] as [string, ResponseOptions, string][])('%s is refused', async (_name, options, code) => {
    const error = await failure(() =>
      androidSafetynetFormat.verify(safetynetInput(options), context({ roots: testRoots() })),
    );
    expect(error).toMatchObject({ code });
  });

  test('an EC leaf cannot make an RS256 signature', async () => {
    const ecLeaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const input = safetynetInput({ chain: [leafCertificate({ key: ecLeaf.publicKey })] });
    expect(await failure(() => androidSafetynetFormat.verify(input, context()))).toMatchObject({
      code: 'SAFETYNET_SIGNATURE_INVALID',
    });
  });

  test('the leaf must be issued to attest.android.com: subjectAltName first, else the common name', async () => {
    const cases: [Parameters<typeof leafCertificate>[0], boolean][] = [
      [{ san: ['attest.android.com'] }, true],
      [{ san: ['ATTEST.android.com'] }, true],
      [{ san: ['www.google.com', 'attest.android.com'] }, true],
      [{ san: null }, true],
      [{ san: null, cn: 'attest.android.com.evil.example' }, false],
      [{ san: ['evil.example'] }, false],
      [{ san: ['*.android.com'] }, false],
      // A matching common name does not count when subjectAltName names other hosts (RFC 6125 §6.4.4).
      [{ san: ['evil.example'], cn: 'attest.android.com' }, false],
    ];
    for (const [leaf, accepted] of cases) {
      const run = () => androidSafetynetFormat.verify(safetynetInput({ chain: [leafCertificate(leaf)] }), context());
      if (accepted) expect(await run()).toMatchObject({ attestationType: 'basic' });
      else expect(await failure(run)).toMatchObject({ code: 'SAFETYNET_HOSTNAME_MISMATCH' });
    }
  });

  test('ctsProfileMatch false is accepted with a warning when not required', async () => {
    const result = await androidSafetynetFormat.verify(
      safetynetInput({ claims: { ctsProfileMatch: false } }),
      context({ requireCtsProfileMatch: false, roots: testRoots() }),
    );
    expect(result.facts).toMatchObject({ ctsProfileMatch: false });
    expect(result.warnings).toHaveLength(1);
  });

  test('the timestamp window is inclusive at its edges', async () => {
    for (const timestampMs of [NOW - MINUTE, NOW + MINUTE]) {
      const result = await androidSafetynetFormat.verify(safetynetInput({ claims: { timestampMs } }), context());
      expect(result.facts).toMatchObject({ timestampMs });
    }
  });
});
