import { createHash, generateKeyPairSync } from 'node:crypto';
import { DeviceResponse, parse, Verifier } from '@auth0/mdl';
import { decode, Tag } from 'cbor2';
import { beforeAll, describe, expect, it } from 'vitest';
import { coseKeyToPublicKey } from '../../../crypto/cose/cose-key.js';
import { decodeCoseSign1, HEADER_X5CHAIN, verifyCoseSign1 } from '../../../crypto/cose/sign1.js';
import { canonicalCbor, RawCbor } from './canonical-cbor.js';
import { dateTime, fullDate } from './element-value.js';
import { generateIssuerCaDirectory, issuerCaFilesFromDirectory, loadDocumentSigner } from './issuer-ca-directory.js';
import { issueMdoc, type IssuedMdoc } from './issuer-signed.js';

const DAY = 86_400_000;
const MDL = 'org.iso.18013.5.1.mDL';
const MDL_NS = 'org.iso.18013.5.1';
const AAMVA_NS = 'org.iso.18013.5.1.aamva';
const PORTRAIT = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');

const decodeCbor = (bytes: Uint8Array) => decode(bytes, { preferMap: true, ignoreGlobalTags: true });

/** What the independent library reports, by check id. */
type Check = { status: 'PASSED' | 'FAILED' | 'WARNING'; id: string; category: string; check: string; reason?: string };

async function independentChecks(
  iacaPem: string,
  deviceResponse: Uint8Array,
  sessionTranscript?: Uint8Array,
): Promise<Check[]> {
  const checks: Check[] = [];
  await new Verifier([iacaPem]).verify(deviceResponse, {
    ...(sessionTranscript ? { encodedSessionTranscript: sessionTranscript } : {}),
    onCheck: (check) => checks.push(check as Check),
  });
  return checks;
}

/** A DeviceResponse carrying only the IssuerSigned of one document (no device authentication). */
const issuerOnlyResponse = (issuerSigned: Uint8Array) =>
  canonicalCbor(
    new Map<string, unknown>([
      ['version', '1.0'],
      [
        'documents',
        [
          new Map<string, unknown>([
            ['docType', MDL],
            ['issuerSigned', new RawCbor(issuerSigned)],
          ]),
        ],
      ],
      ['status', 0],
    ]),
  );

describe('issueMdoc, verified by @auth0/mdl', () => {
  const now = Date.now();
  const directory = generateIssuerCaDirectory(
    { country: 'DE', organization: 'Keyward Test Issuer', crlUrl: 'https://issuer.example/crl/iaca.crl' },
    now - DAY,
  );
  const iacaPem = directory['iaca.pem']!;
  const signer = loadDocumentSigner(issuerCaFilesFromDirectory(directory), { at: now });
  const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const validity = { signed: now, validFrom: now, validUntil: now + 30 * DAY, expectedUpdate: now + 20 * DAY };
  const nameSpaces = {
    [MDL_NS]: {
      family_name: 'Mustermann',
      given_name: 'Erika',
      birth_date: fullDate('1971-09-01'),
      issue_date: fullDate('2026-01-15'),
      expiry_date: fullDate('2036-01-14'),
      issuing_country: 'DE',
      issuing_authority: 'Keyward Test Issuer',
      document_number: 'T22000129',
      portrait: PORTRAIT,
      age_over_18: true,
      age_in_years: 55,
      driving_privileges: [
        {
          vehicle_category_code: 'B',
          issue_date: fullDate('2020-03-01'),
          expiry_date: fullDate('2035-02-28'),
          codes: [{ code: '96' }],
        },
      ],
    },
    [AAMVA_NS]: { DHS_compliance: 'F', name_suffix: 'JR', aamva_version: 1, last_update: dateTime(now) },
  };
  let issued: IssuedMdoc;

  beforeAll(() => {
    issued = issueMdoc({ docType: MDL, nameSpaces, deviceKey: device.publicKey, signer, validity });
  });

  it('passes every issuer and data check: signature chained to the IACA, digests, validity, country', async () => {
    const checks = await independentChecks(iacaPem, issuerOnlyResponse(issued.issuerSigned));
    // Without a presentation the device checks fail by design; everything else must pass.
    const issuerAndData = checks.filter((check) => check.category !== 'DEVICE_AUTH');
    expect(issuerAndData.filter((check) => check.status !== 'PASSED')).toEqual([]);
    const ids = issuerAndData.map((check) => check.id);
    for (const id of [
      'ISSUER_CERTIFICATE_VALIDITY',
      'ISSUER_SIGNATURE_VALIDITY',
      'MSO_SIGNED_DATE_WITHIN_CERTIFICATE_VALIDITY',
      'MSO_VALIDITY_AT_VERIFICATION_TIME',
      'ISSUER_SUBJECT_COUNTRY_NAME_PRESENCE',
      'ATTRIBUTE_DIGEST_MATCH',
      'ISSUING_COUNTRY_MATCHES_CERTIFICATE',
    ])
      expect(ids).toContain(id);
    expect(ids.filter((id) => id === 'ATTRIBUTE_DIGEST_MATCH')).toHaveLength(16);
    const document = parse(issuerOnlyResponse(issued.issuerSigned)).documents[0]!;
    expect(document.getIssuerNameSpace(MDL_NS)).toMatchObject({ family_name: 'Mustermann', age_in_years: 55 });
  });

  it('passes the device signature check of a presentation signed with the auth key', async () => {
    // SessionTranscriptBytes = #6.24(bstr .cbor SessionTranscript), as the library takes it.
    const transcriptBytes = (handover: string) =>
      canonicalCbor(new Tag(24, canonicalCbor([null, null, [handover, new Uint8Array(16)]])));
    const sessionTranscript = transcriptBytes('keyward-test');
    const presentation = await DeviceResponse.from(parse(issuerOnlyResponse(issued.issuerSigned)))
      .usingPresentationDefinition({
        id: 'keyward',
        input_descriptors: [
          {
            id: MDL,
            format: { mso_mdoc: { alg: ['ES256'] } },
            constraints: {
              limit_disclosure: 'required',
              fields: ['family_name', 'birth_date', 'driving_privileges', 'portrait'].map((name) => ({
                path: [`$['${MDL_NS}']['${name}']`],
                intent_to_retain: false,
              })),
            },
          },
        ],
      })
      .usingSessionTranscriptBytes(Buffer.from(sessionTranscript))
      .authenticateWithSignature(device.privateKey.export({ format: 'jwk' }) as never, 'ES256')
      .sign();
    const checks = await independentChecks(iacaPem, presentation.encode(), sessionTranscript);
    expect(checks.filter((check) => check.status !== 'PASSED')).toEqual([]);
    expect(checks.map((check) => check.id)).toContain('DEVICE_SIGNATURE_VALIDITY');

    const replayed = await independentChecks(iacaPem, presentation.encode(), transcriptBytes('another session'));
    expect(replayed.find((check) => check.id === 'DEVICE_SIGNATURE_VALIDITY')?.status).toBe('FAILED');
  });

  it('is refused by the library for another IACA or a swapped item', async () => {
    const otherIaca = generateIssuerCaDirectory(
      { country: 'DE', organization: 'Keyward Test Issuer', crlUrl: 'https://issuer.example/crl/iaca.crl' },
      now - DAY,
    )['iaca.pem']!;
    const untrusted = await independentChecks(otherIaca, issuerOnlyResponse(issued.issuerSigned));
    expect(untrusted.find((check) => check.id === 'ISSUER_CERTIFICATE_VALIDITY')?.status).toBe('FAILED');

    // Same element, same digest ID, another issuance's salt: the digest no longer matches.
    const again = issueMdoc({ docType: MDL, nameSpaces, deviceKey: device.publicKey, signer, validity });
    const decoded = decodeCbor(issued.issuerSigned) as Map<string, unknown>;
    const items = (decoded.get('nameSpaces') as Map<string, Tag[]>).get(MDL_NS)!;
    const foreign = again.nameSpaces.get(MDL_NS)![0]!;
    const swapped = canonicalCbor(
      new Tag(
        24,
        canonicalCbor(
          new Map<string, unknown>(
            [...(decodeCbor(items[0]!.contents as Uint8Array) as Map<string, unknown>)].map(([key, value]) => [
              key,
              key === 'random' ? foreign.random : value,
            ]),
          ),
        ),
      ),
    );
    const tampered = canonicalCbor(
      new Map<string, unknown>([
        ['nameSpaces', new Map([[MDL_NS, [new RawCbor(swapped), ...items.slice(1)]]])],
        ['issuerAuth', new RawCbor(issued.issuerAuth)],
      ]),
    );
    const checks = await independentChecks(iacaPem, issuerOnlyResponse(tampered));
    expect(checks.filter((check) => check.id === 'ATTRIBUTE_DIGEST_MATCH' && check.status === 'FAILED')).toHaveLength(
      1,
    );
  });
});

describe('issueMdoc structures', () => {
  const now = Date.parse('2026-12-01T10:00:00.750Z');
  const directory = generateIssuerCaDirectory(
    { country: 'US', organization: 'Keyward Test DMV', crlUrl: 'http://dmv.example/iaca.crl' },
    now - DAY,
  );
  const signer = loadDocumentSigner(issuerCaFilesFromDirectory(directory));
  const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issued = issueMdoc({
    docType: MDL,
    nameSpaces: new Map([
      [
        MDL_NS,
        new Map<string, unknown>([
          ['family_name', 'Doe'],
          ['given_name', 'John'],
          ['age_over_21', false],
        ]),
      ],
    ]),
    deviceKey: device.publicKey,
    signer,
    validity: { signed: now, validFrom: now, validUntil: now + 365 * DAY },
    saltLength: 16,
  });

  it('signs the #6.24 MSO with ES256 and the document signer in x5chain (label 33, unprotected)', () => {
    const sign1 = decodeCoseSign1(issued.issuerAuth);
    expect(sign1.alg).toBe(-7);
    expect([...sign1.protectedHeader.keys()]).toEqual([1]);
    expect(sign1.unprotected.get(HEADER_X5CHAIN)).toEqual(new Uint8Array(signer.certificate.der));
    expect(verifyCoseSign1(sign1, signer.certificate.publicKey())).toBe(true);
    const payload = decodeCbor(sign1.payload!) as Tag;
    expect(Number(payload.tag)).toBe(24);
    const msoBytes = payload.contents as Uint8Array;
    expect(canonicalCbor(decodeCbor(msoBytes))).toEqual(msoBytes);
    const mso = decodeCbor(msoBytes) as Map<string, unknown>;
    expect([...mso.keys()]).toEqual([
      'docType',
      'version',
      'validityInfo',
      'valueDigests',
      'deviceKeyInfo',
      'digestAlgorithm',
    ]);
    expect(mso.get('version')).toBe('1.0');
    expect(mso.get('digestAlgorithm')).toBe('SHA-256');
    expect(mso.get('docType')).toBe(MDL);
    expect(mso.get('validityInfo')).toEqual(
      new Map([
        ['signed', new Tag(0, '2026-12-01T10:00:00Z')],
        ['validFrom', new Tag(0, '2026-12-01T10:00:00Z')],
        ['validUntil', new Tag(0, '2027-12-01T10:00:00Z')],
      ]),
    );
    const deviceKey = (mso.get('deviceKeyInfo') as Map<string, Map<unknown, unknown>>).get('deviceKey')!;
    expect(coseKeyToPublicKey(deviceKey).equals(device.publicKey)).toBe(true);
    const digests = (mso.get('valueDigests') as Map<string, Map<number, Uint8Array>>).get(MDL_NS)!;
    const issuerSigned = decodeCbor(issued.issuerSigned) as Map<string, unknown>;
    expect([...issuerSigned.keys()]).toEqual(['issuerAuth', 'nameSpaces']);
    const items = (issuerSigned.get('nameSpaces') as Map<string, Tag[]>).get(MDL_NS)!;
    expect(items).toHaveLength(3);
    for (const item of items) {
      const fields = decodeCbor(item.contents as Uint8Array) as Map<string, unknown>;
      expect((fields.get('random') as Uint8Array).length).toBe(16);
      const digest = createHash('sha256').update(canonicalCbor(item)).digest();
      expect(Buffer.from(digests.get(fields.get('digestID') as number)!)).toEqual(digest);
    }
    expect(
      new Set(items.map((item) => (decodeCbor(item.contents as Uint8Array) as Map<string, unknown>).get('digestID')))
        .size,
    ).toBe(3);
  });

  it('returns StaticAuthData as PROTOCOLS.md §7: values nulled, issuerAuth as signed, digests recomputable by the holder', () => {
    const staticAuthData = decodeCbor(issued.staticAuthData) as Map<string, unknown>;
    expect([...staticAuthData.keys()].sort()).toEqual(['digestIdMapping', 'issuerAuth']);
    expect(Buffer.from(issued.staticAuthData).includes(Buffer.from(issued.issuerAuth))).toBe(true);
    expect(Array.isArray(staticAuthData.get('issuerAuth'))).toBe(true);
    const mapping = staticAuthData.get('digestIdMapping') as Map<string, Tag[]>;
    expect([...mapping.keys()]).toEqual([MDL_NS]);
    const msoDigests = issued.mso.valueDigests.get(MDL_NS)!;
    const values = new Map(issued.nameSpaces.get(MDL_NS)!.map((item) => [item.elementIdentifier, item.elementValue]));
    for (const entry of mapping.get(MDL_NS)!) {
      expect(Number(entry.tag)).toBe(24);
      const metadata = decodeCbor(entry.contents as Uint8Array) as Map<string, unknown>;
      expect([...metadata.keys()]).toEqual(['random', 'digestID', 'elementValue', 'elementIdentifier']);
      expect(metadata.get('elementValue')).toBeNull();
      // The holder: put the provisioned value back, re-encode canonically, hash the tag-24 bytes.
      metadata.set('elementValue', values.get(metadata.get('elementIdentifier') as string));
      const rebuilt = canonicalCbor(new Tag(24, canonicalCbor(metadata)));
      expect(Buffer.from(msoDigests.get(metadata.get('digestID') as number)!)).toEqual(
        createHash('sha256').update(rebuilt).digest(),
      );
    }
  });

  it('refuses bad requests with TypeError', () => {
    const base = {
      docType: MDL,
      deviceKey: device.publicKey,
      signer,
      validity: { signed: now, validFrom: now, validUntil: now + DAY },
    };
    expect(() => issueMdoc({ ...base, nameSpaces: {} })).toThrow(TypeError);
    expect(() => issueMdoc({ ...base, nameSpaces: { [MDL_NS]: {} } })).toThrow(TypeError);
    expect(() => issueMdoc({ ...base, nameSpaces: { [MDL_NS]: { birth_date: new Date() } } })).toThrow(/fullDate/);
    expect(() =>
      issueMdoc({
        ...base,
        nameSpaces: { [MDL_NS]: { a: 1 } },
        validity: { signed: now, validFrom: now, validUntil: now },
      }),
    ).toThrow(/validity/);
    expect(() => issueMdoc({ ...base, nameSpaces: { [MDL_NS]: { a: 1 } }, saltLength: 8 })).toThrow(/16/);
  });
});
