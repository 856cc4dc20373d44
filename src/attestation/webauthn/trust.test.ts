import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { extensions } from '../../crypto/x509/certificate-builder.js';
import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { isKeywardError } from '../../errors.js';
import { NOW, ecKey, leafCertificate, testCa } from '../../../test/webauthn/build-registration.js';
import { anchorsOfEntry, assessTrust, findMetadata, ZERO_AAGUID } from './trust.js';
import type { FormatResult, MetadataEntry, MetadataLookup } from './types.js';

const root = testCa('Trust Test Root');
const intermediate = testCa('Trust Test Intermediate', root);
const leafDer = leafCertificate(intermediate, ecKey());
const leaf = () => parseCertificate(leafDer, 'MALFORMED_CERTIFICATE', { cache: false });
const path = (): ParsedCertificate[] => [leaf(), intermediate.certificate];

const base64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

function entry(roots: Uint8Array[], overrides: Partial<MetadataEntry> = {}): MetadataEntry {
  return {
    aaguid: '6b657977-6172-642d-7465-73742d303031',
    description: 'Keyward Test Authenticator',
    attestationRootCertificates: roots.map(base64),
    attestationTypes: ['basic_full'],
    statusReports: [],
    source: 'local: test.json',
    statement: {},
    ...overrides,
  };
}

const basic = (trustPath: ParsedCertificate[], extra: Partial<FormatResult> = {}): FormatResult => ({
  attestationType: 'basic',
  trustPath,
  ...extra,
});

const NO_ROOTS = new TrustAnchors([]);
const configured = new TrustAnchors([{ name: 'configured root', certificate: root.certificate }]);
const options = { at: NOW, maxChainLength: 5 };
const codeOf = (error: unknown) => (isKeywardError(error) ? error.code : String(error));

describe('assessTrust (WebAuthn §7.1 steps 22–23)', () => {
  it("trusts a path ending in one of the metadata statement's roots first", () => {
    const assessment = assessTrust(basic(path()), { ...options, entry: entry([root.der]), roots: configured });
    expect(assessment.trust).toBe('metadata');
    expect(assessment.anchor).toBe(
      'metadata root (Keyward Test Authenticator): C=US, O=Keyward Tests, CN=Trust Test Root',
    );
  });

  it('takes an intermediate or the attestation certificate itself as a metadata anchor (MDS3)', () => {
    expect(assessTrust(basic(path()), { ...options, entry: entry([intermediate.der]), roots: NO_ROOTS }).trust).toBe(
      'metadata',
    );
    expect(assessTrust(basic([leaf()]), { ...options, entry: entry([leafDer]), roots: NO_ROOTS }).trust).toBe(
      'metadata',
    );
  });

  it("falls back to the format's configured roots, remembering why metadata did not vouch", () => {
    const other = testCa('Another Root');
    const assessment = assessTrust(basic(path()), { ...options, entry: entry([other.der]), roots: configured });
    expect(assessment.trust).toBe('root');
    expect(assessment.anchor).toBe('configured root');
    expect(codeOf(assessment.metadataFailure)).toBe('UNTRUSTED_ROOT');
    expect(assessTrust(basic(path()), { ...options, entry: undefined, roots: configured })).toEqual({
      trust: 'root',
      anchor: 'configured root',
    });
  });

  it('is none when no root vouches, with the reason', () => {
    const assessment = assessTrust(basic(path()), { ...options, entry: undefined, roots: NO_ROOTS });
    expect(assessment.trust).toBe('none');
    expect(codeOf(assessment.failure)).toBe('UNTRUSTED_ROOT');
  });

  it('is none without failure for self and none attestation', () => {
    const self: FormatResult = { attestationType: 'self', trustPath: [] };
    expect(assessTrust(self, { ...options, entry: entry([root.der]), roots: configured })).toEqual({ trust: 'none' });
  });

  it('never anchors in a root the authenticator sent (GHSA-6hxq-p678-4hr2)', () => {
    // The attacker's own self-signed root, named like the real one, signs the leaf and rides along in x5c.
    const fake = testCa('Trust Test Root');
    const forgedLeaf = parseCertificate(leafCertificate(fake, ecKey()), 'MALFORMED_CERTIFICATE', { cache: false });
    const x5c = [forgedLeaf, fake.certificate];
    const withMetadata = assessTrust(basic(x5c), { ...options, entry: entry([root.der]), roots: configured });
    expect(withMetadata.trust).toBe('none');
    expect(codeOf(withMetadata.metadataFailure)).toBe('UNTRUSTED_ROOT');
    expect(codeOf(withMetadata.failure)).toBe('UNTRUSTED_ROOT');
    // A self-signed root under its own name, nothing configured: still nothing vouches.
    const alone = testCa('Attacker Root');
    const aloneLeaf = parseCertificate(leafCertificate(alone, ecKey()), 'MALFORMED_CERTIFICATE', { cache: false });
    const assessment = assessTrust(basic([aloneLeaf, alone.certificate]), {
      ...options,
      entry: entry([]),
      roots: NO_ROOTS,
    });
    expect(assessment.trust).toBe('none');
    expect(codeOf(assessment.failure)).toBe('UNTRUSTED_ROOT');
  });

  it('checks validity: an expired attestation certificate reaches no root', () => {
    const expired = parseCertificate(
      leafCertificate(intermediate, ecKey(), { notBefore: NOW - 3000_000_000, notAfter: NOW - 1000 }),
      'MALFORMED_CERTIFICATE',
      { cache: false },
    );
    const assessment = assessTrust(basic([expired, intermediate.certificate]), {
      ...options,
      entry: undefined,
      roots: configured,
    });
    expect(assessment.trust).toBe('none');
    expect(codeOf(assessment.failure)).toBe('CERTIFICATE_EXPIRED');
  });

  it('for a path the format verified itself, asks metadata only whether it ends in a metadata root', () => {
    // KeyMint-made certificates are not CAs; the format's own verifier has checked its chain rules.
    const batchKey = ecKey();
    const batch = testCa('Batch', root, batchKey);
    const notCa = parseCertificate(
      leafCertificate(root, batchKey, { extensions: [extensions.basicConstraints(false)] }),
      'MALFORMED_CERTIFICATE',
    );
    const deviceLeaf = parseCertificate(
      leafCertificate(batch, ecKey(), { notBefore: 0, notAfter: 1000 }),
      'MALFORMED_CERTIFICATE',
      { cache: false },
    );
    const settled = basic([deviceLeaf, notCa, root.certificate], { trustedBy: 'Android root' });
    expect(assessTrust(settled, { ...options, entry: entry([root.der]), roots: NO_ROOTS })).toEqual({
      trust: 'metadata',
      anchor: 'metadata root (Keyward Test Authenticator): C=US, O=Keyward Tests, CN=Trust Test Root',
    });
    const elsewhere = assessTrust(settled, { ...options, entry: entry([testCa('Other').der]), roots: NO_ROOTS });
    expect(elsewhere.trust).toBe('root');
    expect(elsewhere.anchor).toBe('Android root');
    expect(codeOf(elsewhere.metadataFailure)).toBe('UNTRUSTED_ROOT');
    // Without that settlement the same path is held to the CA rules and validity.
    expect(
      assessTrust(basic([deviceLeaf, notCa, root.certificate]), {
        ...options,
        entry: entry([root.der]),
        roots: NO_ROOTS,
      }).trust,
    ).toBe('none');
  });
});

describe('anchorsOfEntry', () => {
  it('builds the anchors of an entry once and skips roots that do not parse', () => {
    const statement = entry([root.der, Buffer.from('not a certificate')]);
    const anchors = anchorsOfEntry(statement);
    expect(anchors.size).toBe(1);
    expect(anchorsOfEntry(statement)).toBe(anchors);
    expect(anchorsOfEntry(entry([root.der]))).not.toBe(anchors);
  });
});

describe('findMetadata', () => {
  const byAaguid = entry([root.der]);
  const computedId = createHash('sha1').update(leaf().publicKeyBits).digest('hex');
  const byKeyId = entry([root.der], { aaguid: undefined, attestationCertificateKeyIdentifiers: [computedId] });
  const lookup: MetadataLookup = {
    byAaguid: (aaguid) => (aaguid === byAaguid.aaguid ? byAaguid : undefined),
    byKeyIdentifier: (keyId) => (keyId === computedId ? byKeyId : undefined),
  };

  it('finds FIDO2 authenticators by AAGUID', () => {
    expect(findMetadata(lookup, '6b657977-6172-642d-7465-73742d303031', path())).toBe(byAaguid);
    expect(findMetadata(lookup, '11111111-2222-3333-4444-555555555555', path())).toBeUndefined();
  });

  it("finds authenticators without an AAGUID by the key identifier computed from the leaf's key", () => {
    expect(findMetadata(lookup, ZERO_AAGUID, path())).toBe(byKeyId);
    expect(findMetadata(lookup, ZERO_AAGUID, [])).toBeUndefined();
  });

  it('does not take the key identifier from the subjectKeyIdentifier extension', () => {
    const claimed = Buffer.from(computedId, 'hex');
    const other = ecKey();
    const lying = parseCertificate(
      leafCertificate(intermediate, other, { extensions: [extensions.subjectKeyIdentifier(claimed)] }),
      'MALFORMED_CERTIFICATE',
      { cache: false },
    );
    expect(findMetadata(lookup, ZERO_AAGUID, [lying])).toBeUndefined();
  });
});
