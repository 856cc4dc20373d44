import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../crypto/x509/certificate.js';
import { TrustAnchors } from '../../../crypto/x509/chain.js';
import type { StatusPolicy } from '../types.js';
import { verifyMetadataBlob, type CrlSource, type VerifiedBlob, type VerifyBlobOptions } from './blob.js';
import { MetadataIndex } from './index.js';
import { DEFAULT_REFUSED_STATUSES, decideStatus } from './status-policy.js';

/** The real MDS3 BLOB no 9 and the FIDO conformance tools' fake BLOB (test/vectors/mds, from webauthn4j, Apache-2.0). */
const vector = (name: string) => readFileSync(new URL(`../../../../test/vectors/mds/${name}`, import.meta.url), 'utf8');
const REAL = vector('mds3-blob-2021-no9.jwt');
const FAKE = vector('conformance-fake-blob.jwt');
const globalSign = new TrustAnchors(
  TrustAnchors.fromPem(
    readFileSync(new URL('../../../../assets/roots/globalsign-root-r3.pem', import.meta.url), 'utf8'),
    'GlobalSign Root CA - R3',
  ),
);
/** Inside the real BLOB's signing certificate (2021-04-12..2022-05-14) and before its nextUpdate 2021-12-01. */
const REAL_AT = Date.UTC(2021, 10, 15);
const FAKE_AT = Date.UTC(2022, 10, 1);
const POLICY: StatusPolicy = { refuse: DEFAULT_REFUSED_STATUSES, minCertificationLevel: '' };

const nothing: CrlSource = async () => undefined;
const options = (overrides: Partial<VerifyBlobOptions> = {}): VerifyBlobOptions => ({
  anchors: globalSign,
  at: REAL_AT,
  crls: nothing,
  crlCheck: 'off',
  graceDays: 7,
  ...overrides,
});

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

describe('the real MDS3 BLOB (no 9)', () => {
  let blob: VerifiedBlob;
  let index: MetadataIndex;

  beforeAll(async () => {
    blob = await verifyMetadataBlob(REAL, options());
    index = MetadataIndex.from(blob.entries, []);
  });

  it('verifies with GlobalSign Root CA - R3 at 2021-11-15', () => {
    expect(blob).toMatchObject({
      no: 9,
      nextUpdate: '2021-12-01',
      anchor: 'GlobalSign Root CA - R3: OU=GlobalSign Root CA - R3, O=GlobalSign, CN=GlobalSign',
      warnings: [],
    });
    expect(blob.signer).toContain('CN=mds.fidoalliance.org');
    expect(blob.legalHeader).toMatch(/^Retrieval and use of this BLOB indicates acceptance/);
    expect(blob.entries).toHaveLength(98);
  });

  it('verifies with CRL checks ifAvailable when no CRL can be obtained, warning for the signer and its CA', async () => {
    const asked: string[] = [];
    const result = await verifyMetadataBlob(
      REAL,
      options({
        crlCheck: 'ifAvailable',
        crls: async (url) => {
          asked.push(url);
          return undefined;
        },
      }),
    );
    expect(result.no).toBe(9);
    expect(asked.sort()).toEqual([
      'http://crl.globalsign.com/gs/gsextendvalsha2g3r3.crl',
      'http://crl.globalsign.com/root-r3.crl',
    ]);
    expect(result.warnings).toEqual([
      expect.stringContaining('certificate 0 (2.5.4.15=Private Organization'),
      expect.stringContaining(
        'certificate 1 (C=BE, O=GlobalSign nv-sa, CN=GlobalSign Extended Validation CA - SHA256 - G3)',
      ),
    ]);
  });

  it('is refused with CRL checks required when the CRLs cannot be obtained', async () => {
    expect(await rejection(verifyMetadataBlob(REAL, options({ crlCheck: 'required' })))).toMatchObject({
      category: 'INTERNAL',
      code: 'METADATA_CRL_UNAVAILABLE',
    });
  });

  it('indexes its entries by kind: 46 by AAGUID, 35 by key identifier, 17 UAF left out', () => {
    expect(index.counts).toEqual({ aaguid: 46, keyIdentifier: 35, uafSkipped: 17 });
    expect(index.size).toBe(81);
    expect(index.entries()).toHaveLength(81);
  });

  it('finds an authenticator by AAGUID, in either case', () => {
    expect(index.byAaguid('fa2b99dc-9e39-4257-8f92-4a30d23c4118')?.description).toBe('YubiKey 5 Series with NFC');
    expect(index.byAaguid('FA2B99DC-9E39-4257-8F92-4A30D23C4118')).toBe(
      index.byAaguid('fa2b99dc-9e39-4257-8f92-4a30d23c4118'),
    );
    expect(index.byAaguid('08987058-cadc-4b81-b6e1-30de50dcbe96')?.description).toBe(
      'Windows Hello Hardware Authenticator',
    );
    expect(index.byAaguid('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('finds a U2F authenticator by key identifier, in either case', () => {
    const entry = index.byKeyIdentifier('1434d2f277fe479c35ddf6aa4d08a07cbce99dd7');
    expect(entry?.description).toBe('NEOWAVE Winkeo FIDO2');
    expect(entry?.source).toBe('mds:9');
    expect(index.byKeyIdentifier('1434D2F277FE479C35DDF6AA4D08A07CBCE99DD7')).toBe(entry);
    // Its root certificate is carried in the BLOB with PEM-style line breaks: stored without them.
    expect(entry?.attestationRootCertificates[0]).toMatch(/^MIICHTCCAcKgAwIBAgICddUw[A-Za-z0-9+/=]+$/);
    expect(parseCertificate(Buffer.from(entry!.attestationRootCertificates[0]!, 'base64')).subject).toContain(
      'CertEurope Elliptic Root CA',
    );
  });

  it('refuses none of its authenticators by status at 2021-11-15', () => {
    expect(index.entries().filter((entry) => decideStatus(entry, REAL_AT, POLICY).refusedBy)).toEqual([]);
  });

  it('is refused outside its signing certificate’s validity and past nextUpdate plus grace', async () => {
    expect(await rejection(verifyMetadataBlob(REAL, options({ at: Date.UTC(2021, 3, 12) })))).toMatchObject({
      code: 'CERTIFICATE_NOT_YET_VALID',
    });
    expect(await rejection(verifyMetadataBlob(REAL, options({ at: Date.UTC(2021, 11, 9) })))).toMatchObject({
      category: 'TIME',
      code: 'METADATA_BLOB_STALE',
    });
    await expect(verifyMetadataBlob(REAL, options({ at: Date.UTC(2021, 11, 9) - 1 }))).resolves.toMatchObject({
      no: 9,
    });
    expect(
      await rejection(verifyMetadataBlob(REAL, options({ at: Date.UTC(2022, 5, 1), graceDays: 365 }))),
    ).toMatchObject({
      code: 'CERTIFICATE_EXPIRED',
    });
  });

  it('is refused when the held BLOB is as new, when changed, and without GlobalSign', async () => {
    expect(await rejection(verifyMetadataBlob(REAL, options({ previousNo: 9 })))).toMatchObject({
      code: 'METADATA_BLOB_NOT_NEWER',
    });
    const [header, payload, signature] = REAL.trim().split('.') as [string, string, string];
    const middle = payload.length >> 1;
    const changed = `${header}.${payload.slice(0, middle)}${payload[middle] === 'A' ? 'B' : 'A'}${payload.slice(middle + 1)}.${signature}`;
    expect(await rejection(verifyMetadataBlob(changed, options()))).toMatchObject({
      category: 'TRUST',
      code: 'METADATA_BLOB_SIGNATURE_INVALID',
    });
    expect(await rejection(verifyMetadataBlob(REAL, options({ anchors: new TrustAnchors([]) })))).toMatchObject({
      category: 'TRUST',
      code: 'UNTRUSTED_ROOT',
    });
  });
});

describe('the FIDO conformance fake BLOB (no 42)', () => {
  const header = JSON.parse(Buffer.from(FAKE.slice(0, FAKE.indexOf('.')), 'base64url').toString('utf8'));
  const fakeCa = parseCertificate(Buffer.from(header.x5c[1], 'base64'));
  const fakeAnchors = new TrustAnchors([{ name: 'FAKE CA-1', certificate: fakeCa }]);

  it('is refused for its untrusted root', async () => {
    expect(await rejection(verifyMetadataBlob(FAKE, options({ at: FAKE_AT })))).toMatchObject({
      category: 'TRUST',
      code: 'UNTRUSTED_ROOT',
    });
  });

  describe('with its intermediate FAKE CA-1 as the trust anchor', () => {
    let blob: VerifiedBlob;
    let index: MetadataIndex;

    beforeAll(async () => {
      expect(fakeCa.subject).toContain('CN=FAKE CA-1 FAKE');
      blob = await verifyMetadataBlob(FAKE, options({ anchors: fakeAnchors, at: FAKE_AT }));
      index = MetadataIndex.from(blob.entries, []);
    });

    it('verifies (ES256) and indexes its 100 FIDO2 entries, leaving its 100 UAF entries out', () => {
      expect(blob).toMatchObject({ no: 42, nextUpdate: '2022-11-09', anchor: 'FAKE CA-1', warnings: [] });
      expect(blob.entries).toHaveLength(200);
      expect(index.counts).toEqual({ aaguid: 100, keyIdentifier: 0, uafSkipped: 100 });
    });

    it('checks only the signing certificate’s CRL (the anchor is trusted as configured)', async () => {
      const asked: string[] = [];
      const result = await verifyMetadataBlob(
        FAKE,
        options({
          anchors: fakeAnchors,
          at: FAKE_AT,
          crlCheck: 'ifAvailable',
          crls: async (url) => {
            asked.push(url);
            return undefined;
          },
        }),
      );
      expect(asked).toEqual(['https://mds3.certinfra.fidoalliance.org/crl/MDSCA-1.crl']);
      expect(result.warnings).toHaveLength(1);
    });

    it('refuses its 16 compromised entries by status (8 FIDO2, 8 UAF), with the status that refuses each', () => {
      const refused = blob.entries
        .map((entry) => ({ entry, decision: decideStatus(entry, FAKE_AT, POLICY) }))
        .filter(({ decision }) => decision.refusedBy);
      expect(refused).toHaveLength(16);
      expect(refused.filter(({ entry }) => entry.aaguid !== undefined)).toHaveLength(8);
      const statuses: Record<string, number> = {};
      for (const { decision } of refused)
        statuses[decision.refusedBy!.status] = (statuses[decision.refusedBy!.status] ?? 0) + 1;
      expect(statuses).toEqual({
        ATTESTATION_KEY_COMPROMISE: 5,
        USER_VERIFICATION_BYPASS: 3,
        USER_KEY_REMOTE_COMPROMISE: 5,
        USER_KEY_PHYSICAL_COMPROMISE: 3,
      });
      expect(decideStatus(index.byAaguid('3124626c-73ba-4001-9924-4910d31b4b80')!, FAKE_AT, POLICY).refusedBy).toEqual({
        status: 'ATTESTATION_KEY_COMPROMISE',
        effectiveDate: '2014-05-02',
      });
    });

    it('refuses, with minimum level L2, the 47 FIDO2 entries certified lower or not at all', () => {
      const atLeastL2 = { refuse: DEFAULT_REFUSED_STATUSES, minCertificationLevel: 'FIDO_CERTIFIED_L2' };
      const decisions = index.entries().map((entry) => decideStatus(entry, FAKE_AT, atLeastL2));
      const byLevel: Record<string, number> = {};
      for (const decision of decisions.filter(({ reason }) => reason === 'certificationLevel'))
        byLevel[decision.refusedBy!.status] = (byLevel[decision.refusedBy!.status] ?? 0) + 1;
      // Each entry carries one report: the lower certifications, NOT_FIDO_CERTIFIED and SELF_ASSERTION_SUBMITTED.
      expect(byLevel).toEqual({
        FIDO_CERTIFIED: 11,
        FIDO_CERTIFIED_L1: 8,
        FIDO_CERTIFIED_L1plus: 7,
        NOT_FIDO_CERTIFIED: 15,
        SELF_ASSERTION_SUBMITTED: 6,
      });
      expect(decisions.filter(({ reason }) => reason === 'status')).toHaveLength(8);
    });
  });
});
