import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificatePem } from '../../src/crypto/x509/certificate.js';
import { issueDocumentSigner } from '../../src/features/provisioning/issuer/document-signer.js';
import { fullDate } from '../../src/features/provisioning/issuer/element-value.js';
import { generateIaca } from '../../src/features/provisioning/issuer/iaca.js';
import { issueMdoc } from '../../src/features/provisioning/issuer/issuer-signed.js';
import { runCli } from '../helpers/cli.js';
import { readVector } from '../helpers/vectors.js';

/**
 * `keyward verify mdoc` through the built CLI: the ISO 18013-5 Annex D DeviceResponse (its
 * document signer certificate trusted directly, its session transcript and the reader's
 * ephemeral key for the deviceMac) and an IssuerSigned Keyward issues, chained to its IACA.
 */

const vectors: Record<string, string> = JSON.parse(readVector('mdoc/iso18013-5-annex-d.json')).vectors;
const hex = (name: string) => Buffer.from(vectors[name]!, 'hex');

const work = mkdtempSync(join(tmpdir(), 'keyward-verify-mdoc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const file = (name: string, content: string | Uint8Array) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};

/** Inside the DS certificate (2020-10-01..2021-10-01) and the MSO validity (from 2020-10-01T13:30:02Z). */
const AT = '2021-01-01T00:00:00Z';
const response = file('annex-d-response.cbor', hex('DEVICE_RESPONSE'));
const dsPem = file('annex-d-ds.pem', certificatePem(hex('DS_CERT')));
const transcript = file('annex-d-transcript.cbor', hex('SESSION_TRANSCRIPT_BYTES'));
const readerJwk = {
  kty: 'EC',
  crv: 'P-256',
  x: hex('EPHEMERAL_READER_KEY_X').toString('base64url'),
  y: hex('EPHEMERAL_READER_KEY_Y').toString('base64url'),
  d: hex('EPHEMERAL_READER_KEY_D').toString('base64url'),
};
const readerPem = file(
  'annex-d-reader.pem',
  createPrivateKey({ key: readerJwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }) as string,
);
const readerJson = file('annex-d-reader.jwk.json', JSON.stringify(readerJwk));

async function run(args: string[], input?: string) {
  const result = await runCli(['verify', 'mdoc', ...args], input === undefined ? {} : { input });
  let json: any;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { ...result, json };
}

const annexD = (extra: string[] = [], input = response) => run([input, '--trust', dsPem, '--at', AT, ...extra]);

describe('keyward verify mdoc on the ISO 18013-5 Annex D DeviceResponse', () => {
  it('verifies the issuer signature, digests, validity and the deviceMac, and prints the mDL elements', async () => {
    const { code, json, stderr } = await annexD(['--session-transcript', transcript, '--reader-key', readerPem]);
    expect(code, stderr).toBe(0);
    expect(json).toMatchObject({ verified: true, code: null });
    expect(json.documents).toHaveLength(1);
    const [document] = json.documents;
    expect(document).toMatchObject({
      docType: 'org.iso.18013.5.1.mDL',
      issuer: 'CN=utopia ds, C=US',
      validity: {
        signed: '2020-10-01T13:30:02.000Z',
        validFrom: '2020-10-01T13:30:02.000Z',
        validUntil: '2021-10-01T13:30:02.000Z',
      },
      deviceAuth: 'mac',
    });
    const mdl = document.namespaces['org.iso.18013.5.1'];
    expect(mdl).toMatchObject({
      family_name: 'Doe',
      issue_date: '2019-10-20',
      expiry_date: '2024-10-20',
      document_number: '123456789',
      portrait: hex('DEVICE_RESPONSE_PORTRAIT_DATA').toString('base64url'),
      driving_privileges: [
        { vehicle_category_code: 'A', issue_date: '2018-08-09', expiry_date: '2024-10-20' },
        { vehicle_category_code: 'B', issue_date: '2017-02-23', expiry_date: '2024-10-20' },
      ],
    });
  });

  it('takes the reader key as a JWK, the transcript without its tag-24 wrapping, and hex or base64 text', async () => {
    const bare = file('annex-d-transcript-bare.cbor', hex('SESSION_TRANSCRIPT_BYTES').subarray(5));
    const jwk = await annexD(['--session-transcript', bare, '--reader-key', readerJson]);
    expect(jwk.code, jwk.stderr).toBe(0);
    expect(jwk.json.documents[0].deviceAuth).toBe('mac');

    const hexText = file('annex-d-response.hex', `${vectors.DEVICE_RESPONSE}\n`);
    const transcriptB64 = file('annex-d-transcript.b64', hex('SESSION_TRANSCRIPT_BYTES').toString('base64'));
    const text = await annexD(['--session-transcript', transcriptB64, '--reader-key', readerPem], hexText);
    expect(text.code, text.stderr).toBe(0);
    expect(text.json.documents[0].deviceAuth).toBe('mac');
  });

  it('reads the DeviceResponse from standard input with -', async () => {
    const { code, json, stderr } = await run(
      ['-', '--trust', dsPem, '--at', AT],
      hex('DEVICE_RESPONSE').toString('base64url'),
    );
    expect(code, stderr).toBe(0);
    expect(json.documents[0].docType).toBe('org.iso.18013.5.1.mDL');
  });

  it('leaves deviceAuth not-checked, still verified, without the reader key or the transcript', async () => {
    const noKey = await annexD(['--session-transcript', transcript]);
    expect(noKey.code, noKey.stderr).toBe(0);
    expect(noKey.json.verified).toBe(true);
    expect(noKey.json.documents[0].deviceAuth).toBe('not-checked');
    const nothing = await annexD();
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(nothing.json.documents[0].deviceAuth).toBe('not-checked');
  });

  it('rejects a document signer not chained to a trusted certificate (exit 1)', async () => {
    const other = generateIaca(
      { country: 'US', organization: 'Unrelated Issuer', crlUrl: 'https://unrelated.example/iaca.crl' },
      Date.parse('2020-01-01T00:00:00Z'),
    );
    const wrong = file('unrelated.pem', other.certificate.toPem());
    const { code, json } = await run([response, '--trust', wrong, '--at', AT]);
    expect(code).toBe(1);
    expect(json).toMatchObject({
      verified: false,
      code: 'MDOC_ISSUER_UNTRUSTED',
      category: 'TRUST',
      message: expect.any(String),
      documents: [],
    });
  });

  it("rejects a time outside the validity with the verifier's code (exit 1)", async () => {
    const early = await run([response, '--trust', dsPem, '--at', '2020-10-01T12:00:00Z']);
    expect(early.code).toBe(1);
    expect(early.json).toMatchObject({ verified: false, code: 'MDOC_NOT_YET_VALID', category: 'TIME', documents: [] });
    expect(early.json.detail).toMatch(/2020-10-01T13:30:02/);
    const late = await run([response, '--trust', dsPem, '--at', '2022-01-01T00:00:00Z']);
    expect(late.code).toBe(1);
    expect(late.json).toMatchObject({ verified: false, code: 'MDOC_ISSUER_CERTIFICATE_EXPIRED', documents: [] });
  });

  it('rejects a wrong reader key (exit 1, MDOC_DEVICE_MAC_INVALID)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const wrong = file('wrong-reader.pem', privateKey.export({ type: 'sec1', format: 'pem' }) as string);
    const { code, json } = await annexD(['--session-transcript', transcript, '--reader-key', wrong]);
    expect(code).toBe(1);
    expect(json).toMatchObject({ verified: false, code: 'MDOC_DEVICE_MAC_INVALID', documents: [] });
  });
});

describe('keyward verify mdoc on an IssuerSigned Keyward issues', () => {
  const DAY = 86_400_000;
  const now = Date.now();
  const iaca = generateIaca(
    { country: 'DE', organization: 'Keyward Test Issuer', crlUrl: 'https://issuer.example/crl/iaca.crl' },
    now - DAY,
  );
  const signer = issueDocumentSigner(iaca, {}, now - DAY);
  const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issued = issueMdoc({
    docType: 'org.iso.18013.5.1.mDL',
    nameSpaces: {
      'org.iso.18013.5.1': { family_name: 'Mustermann', given_name: 'Erika', birth_date: fullDate('1964-08-12') },
    },
    deviceKey: device.publicKey,
    signer,
    validity: { signed: now, validFrom: now, validUntil: now + 30 * DAY },
  });
  const issuerSigned = file('keyward-issuer-signed.cbor', issued.issuerSigned);
  const iacaPem = file('iaca.pem', iaca.certificate.toPem());

  it('verifies it against the IACA, deviceAuth absent', async () => {
    const { code, json, stderr } = await run([issuerSigned, '--trust', iacaPem]);
    expect(code, stderr).toBe(0);
    expect(json.verified).toBe(true);
    expect(json.documents).toHaveLength(1);
    expect(json.documents[0]).toMatchObject({
      docType: 'org.iso.18013.5.1.mDL',
      issuer: signer.certificate.subject,
      deviceAuth: 'absent',
      namespaces: {
        'org.iso.18013.5.1': { family_name: 'Mustermann', given_name: 'Erika', birth_date: '1964-08-12' },
      },
    });
  });

  it('trusts every certificate of a --trust file, and several --trust files', async () => {
    const bundle = file('bundle.pem', `${certificatePem(hex('READER_CERT'))}${iaca.certificate.toPem()}`);
    const { code, json } = await run([issuerSigned, '--trust', dsPem, '--trust', bundle]);
    expect(code).toBe(0);
    expect(json.documents[0].deviceAuth).toBe('absent');
  });
});

describe('keyward verify mdoc usage errors (exit 2)', () => {
  const cases: [string, string[]][] = [
    ['no --trust', [response]],
    ['no file', ['--trust', dsPem]],
    ['a missing file', [join(work, 'missing.cbor'), '--trust', dsPem]],
    ['a missing --trust file', [response, '--trust', join(work, 'missing.pem')]],
    ['a --trust file without certificates', [response, '--trust', file('empty.pem', 'no certificates here\n')]],
    ['a malformed --at', [response, '--trust', dsPem, '--at', 'yesterday']],
    ['--reader-key without --session-transcript', [response, '--trust', dsPem, '--reader-key', readerPem]],
    [
      'a reader key that is no private key',
      [response, '--trust', dsPem, '--session-transcript', transcript, '--reader-key', dsPem],
    ],
    ['a missing --session-transcript file', [response, '--trust', dsPem, '--session-transcript', join(work, 'nope')]],
    ['an empty file', [file('empty.cbor', ''), '--trust', dsPem]],
    ['text that is neither hex nor base64', [file('garbage.txt', 'not *an* mdoc\n'), '--trust', dsPem]],
  ];

  it.each(cases)('%s', async (_name, args) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).not.toBe('');
  });

  it('rejects (exit 1, not 2) bytes that are not an mdoc', async () => {
    const { code, json } = await run([file('not-mdoc.cbor', Buffer.from([0x83, 0x01, 0x02, 0x03])), '--trust', dsPem]);
    expect(code).toBe(1);
    expect(json).toMatchObject({ verified: false, code: 'MDOC_MALFORMED', category: 'CONTENT', documents: [] });
  });
});
