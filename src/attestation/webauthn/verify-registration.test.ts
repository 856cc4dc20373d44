import { describe, expect, it } from 'vitest';
import { extensions } from '../../crypto/x509/certificate-builder.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { isKeywardError } from '../../errors.js';
import {
  AAGUID,
  AAGUID_TEXT,
  BE,
  BS,
  CHALLENGE,
  NOW,
  ORIGIN,
  RP_ID,
  UP,
  UV,
  aaguidExtension,
  clientDataJSON,
  ecKey,
  formatContext,
  leafCertificate,
  packedFull,
  packedSelf,
  registration,
  testCa,
  withStatement,
  type AuthDataOptions,
  type Registration,
} from '../../../test/webauthn/build-registration.js';
import { DEFAULT_REFUSED_STATUSES } from './metadata/status-policy.js';
import type {
  AttestationMode,
  FormatContext,
  MetadataEntry,
  MetadataLookup,
  RegistrationExpectations,
  StatusPolicy,
  StatusReport,
} from './types.js';
import { WebAuthnVerifier } from './verify-registration.js';

const root = testCa('Registration Test Root');
const leafKey = ecKey();
const leaf = leafCertificate(root, leafKey, {
  extensions: [extensions.basicConstraints(false), aaguidExtension(AAGUID)],
});

/** A packed full attestation by the test authenticator (x5c = [leaf]). */
const packed = (options: AuthDataOptions & { clientData?: Buffer } = {}) =>
  registration('packed', packedFull(leafKey, [leaf]), { aaguid: AAGUID, ...options });

const EXPECT: RegistrationExpectations = {
  challenge: CHALLENGE,
  origins: [ORIGIN],
  rpId: RP_ID,
  requireUserVerification: false,
  requireUserPresence: true,
  algorithms: [-7, -257, -8],
};

function entry(overrides: Partial<MetadataEntry> = {}): MetadataEntry {
  return {
    aaguid: AAGUID_TEXT,
    description: 'Keyward Test Authenticator',
    attestationRootCertificates: [root.der.toString('base64')],
    attestationTypes: ['basic_full'],
    statusReports: [{ status: 'FIDO_CERTIFIED_L1', effectiveDate: '2024-01-01' }],
    source: 'local: keyward-test.json',
    statement: {},
    ...overrides,
  };
}

/** The smallest MetadataLookup: entries by AAGUID. */
const lookupOf = (...entries: MetadataEntry[]): MetadataLookup => ({
  byAaguid: (aaguid) => entries.find((item) => item.aaguid === aaguid),
  byKeyIdentifier: (keyId) => entries.find((item) => item.attestationCertificateKeyIdentifiers?.includes(keyId)),
});

const DEFAULT_POLICY: StatusPolicy = { refuse: DEFAULT_REFUSED_STATUSES, minCertificationLevel: '' };

function verifier(
  mode: AttestationMode,
  options: { metadata?: MetadataLookup; context?: FormatContext; policy?: StatusPolicy } = {},
) {
  return new WebAuthnVerifier({
    mode,
    context: options.context ?? formatContext(),
    ...(options.metadata ? { metadata: () => options.metadata } : {}),
    statusPolicy: options.policy ?? DEFAULT_POLICY,
  });
}

const register = (
  made: Registration,
  mode: AttestationMode = 'monitor',
  options: Parameters<typeof verifier>[1] & { expect?: Partial<RegistrationExpectations> } = {},
) => verifier(mode, options).verifyRegistration(made.input, { ...EXPECT, ...options.expect }, NOW);

async function refusal(promise: Promise<unknown>): Promise<{ category: string; code: string; detail?: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isKeywardError(error)) throw new Error(`expected a KeywardError, got ${String(error)}`);
  return { category: error.category, code: error.code, ...(error.detail ? { detail: error.detail } : {}) };
}
const codeOf = async (promise: Promise<unknown>) => (await refusal(promise)).code;

/** A registration signed by an attacker's leaf under the attacker's own self-signed root, which rides along in x5c. */
function ownRootRegistration(): Registration {
  const fakeRoot = testCa('Registration Test Root');
  const fakeKey = ecKey();
  const fakeLeaf = leafCertificate(fakeRoot, fakeKey, {
    extensions: [extensions.basicConstraints(false), aaguidExtension(AAGUID)],
  });
  return registration('packed', packedFull(fakeKey, [fakeLeaf, fakeRoot.der]), { aaguid: AAGUID });
}

describe('registration ceremony (WebAuthn §7.1)', () => {
  it('returns the normalized result', async () => {
    const made = packed({ flags: UP | UV | BE, counter: 5 });
    const result = await register(made, 'monitor', { metadata: lookupOf(entry()) });
    expect(result).toMatchObject({
      fmt: 'packed',
      attestationType: 'basic',
      trust: 'metadata',
      anchor: 'metadata root (Keyward Test Authenticator): C=US, O=Keyward Tests, CN=Registration Test Root',
      aaguid: AAGUID_TEXT,
      counter: 5,
      flags: UP | UV | BE | 0x40,
      userVerified: true,
      backupEligible: true,
      backedUp: false,
      trustPath: [leaf.toString('base64')],
      metadata: {
        found: true,
        description: 'Keyward Test Authenticator',
        statuses: ['FIDO_CERTIFIED_L1'],
        source: 'local: keyward-test.json',
      },
      facts: {},
      warnings: [],
    });
    expect(Buffer.from(result.credentialId).toString('base64url')).toBe(made.input.id);
    expect(result.publicKey.alg).toBe(-7);
  });

  it('refuses client data of another ceremony, challenge or origin', async () => {
    expect(await refusal(register(packed({ clientData: clientDataJSON({ type: 'webauthn.get' }) })))).toMatchObject({
      code: 'CLIENT_DATA_TYPE_MISMATCH',
    });
    expect(await codeOf(register(packed({ clientData: clientDataJSON({ challenge: Buffer.from('other') }) })))).toBe(
      'WEBAUTHN_CHALLENGE_MISMATCH',
    );
    expect(await codeOf(register(packed({ clientData: clientDataJSON({ origin: 'https://evil.example' }) })))).toBe(
      'ORIGIN_MISMATCH',
    );
  });

  it('refuses a credential created for another RP ID', async () => {
    expect(await refusal(register(packed({ rpId: 'evil.example' })))).toMatchObject({
      category: 'TRUST',
      code: 'RP_ID_MISMATCH',
    });
  });

  it('requires user presence unless told not to, and user verification when told to', async () => {
    expect(await refusal(register(packed({ flags: 0 })))).toMatchObject({
      category: 'TRUST',
      code: 'USER_PRESENCE_MISSING',
    });
    const result = await register(packed({ flags: 0 }), 'monitor', { expect: { requireUserPresence: false } });
    expect(result.flags & UP).toBe(0);
    expect(
      await codeOf(register(packed({ flags: UP }), 'monitor', { expect: { requireUserVerification: true } })),
    ).toBe('USER_VERIFICATION_MISSING');
    expect((await register(packed({ flags: UP }))).userVerified).toBe(false);
  });

  it('refuses backed-up credentials that are not backup eligible', async () => {
    expect(await codeOf(register(packed({ flags: UP | BS })))).toBe('BACKUP_STATE_INVALID');
    expect((await register(packed({ flags: UP | BE | BS }))).backedUp).toBe(true);
  });

  it('refuses a credential algorithm the server did not offer', async () => {
    expect(await refusal(register(packed(), 'monitor', { expect: { algorithms: [-257] } }))).toMatchObject({
      category: 'CONTENT',
      code: 'COSE_ALGORITHM_NOT_ALLOWED',
    });
  });

  it('refuses a response id that is not the credential id, and credential ids over 1023 bytes', async () => {
    const made = packed();
    expect(await codeOf(register({ ...made, input: { ...made.input, id: 'AAAA' } }))).toBe('RESPONSE_ID_MISMATCH');
    expect(await codeOf(register(packed({ credentialId: Buffer.alloc(1024, 1) })))).toBe('CREDENTIAL_ID_TOO_LONG');
    const longest = await register(packed({ credentialId: Buffer.alloc(1023, 1) }));
    expect(longest.credentialId).toHaveLength(1023);
  });

  it('refuses a registration without attested credential data', async () => {
    const made = registration('none', () => new Map(), { noCredential: true });
    expect(await codeOf(register(made))).toBe('ATTESTED_CREDENTIAL_MISSING');
  });

  it('refuses an unknown format, matched case-sensitively (§7.1 step 20)', async () => {
    const credential = ecKey();
    const made = registration('Packed', packedSelf(credential), { credential });
    expect(await refusal(register(made))).toMatchObject({ category: 'CONTENT', code: 'ATTESTATION_FORMAT_UNKNOWN' });
    expect(await codeOf(register(registration('fido-u3f', () => new Map())))).toBe('ATTESTATION_FORMAT_UNKNOWN');
  });
});

describe('attestation mode disabled', () => {
  it('does not look at the statement: fmt as sent, attestation type none, trust none', async () => {
    const broken = withStatement(
      packed(),
      new Map<string, unknown>([
        ['alg', -7],
        ['sig', new Uint8Array(70)],
      ]),
    );
    const result = await register(broken, 'disabled', { metadata: lookupOf(entry()) });
    expect(result).toMatchObject({
      fmt: 'packed',
      attestationType: 'none',
      trust: 'none',
      trustPath: [],
      aaguid: AAGUID_TEXT,
      metadata: { found: false, statuses: [] },
      warnings: [],
    });
    expect(result.anchor).toBeUndefined();
    expect(
      (
        await register(
          registration('vendor-x', () => new Map()),
          'disabled',
        )
      ).fmt,
    ).toBe('vendor-x');
  });

  it('still runs the ceremony checks', async () => {
    const made = packed({ clientData: clientDataJSON({ challenge: Buffer.from('other') }) });
    expect(await codeOf(register(made, 'disabled'))).toBe('WEBAUTHN_CHALLENGE_MISMATCH');
    expect(await codeOf(register(packed({ rpId: 'evil.example' }), 'disabled'))).toBe('RP_ID_MISMATCH');
  });
});

describe('attestation mode monitor', () => {
  it('refuses an invalid statement', async () => {
    const forged = registration('packed', packedFull(ecKey(), [leaf]), { aaguid: AAGUID });
    expect(await refusal(register(forged, 'monitor', { metadata: lookupOf(entry()) }))).toMatchObject({
      category: 'TRUST',
      code: 'ATTESTATION_SIGNATURE_INVALID',
    });
  });

  it('accepts an untrusted chain with trust none and a warning', async () => {
    const result = await register(packed());
    expect(result.trust).toBe('none');
    expect(result.metadata).toEqual({ found: false, statuses: [] });
    expect(result.warnings).toEqual([
      'The attestation certificate chain reaches no trusted root (UNTRUSTED_ROOT: The certificate chain does not lead to a trusted root.)',
    ]);
  });

  it('accepts x5c with its own root as untrusted (GHSA-6hxq-p678-4hr2)', async () => {
    const result = await register(ownRootRegistration(), 'monitor', { metadata: lookupOf(entry()) });
    expect(result.trust).toBe('none');
    expect(result.metadata.found).toBe(true);
    expect(result.warnings).toEqual([expect.stringContaining('(UNTRUSTED_ROOT:')]);
  });

  it("trusts a configured root, warning when the chain misses the metadata statement's roots", async () => {
    const configured = formatContext(new TrustAnchors([{ name: 'configured root', certificate: root.certificate }]));
    const withoutMetadata = await register(packed(), 'monitor', { context: configured });
    expect([withoutMetadata.trust, withoutMetadata.anchor, withoutMetadata.warnings]).toEqual([
      'root',
      'configured root',
      [],
    ]);
    const otherRoots = entry({ attestationRootCertificates: [testCa('Other Root').der.toString('base64')] });
    const result = await register(packed(), 'monitor', { context: configured, metadata: lookupOf(otherRoots) });
    expect(result.trust).toBe('root');
    expect(result.warnings).toEqual([expect.stringContaining("does not reach a root of the authenticator's metadata")]);
  });

  it('records refused metadata statuses with a warning instead of refusing', async () => {
    const revoked = entry({
      statusReports: [
        { status: 'FIDO_CERTIFIED_L1', effectiveDate: '2023-01-01' },
        { status: 'REVOKED', effectiveDate: '2025-01-01' },
      ],
    });
    const result = await register(packed(), 'monitor', { metadata: lookupOf(revoked) });
    expect(result.trust).toBe('metadata');
    expect(result.metadata.statuses).toEqual(['FIDO_CERTIFIED_L1', 'REVOKED']);
    expect(result.warnings).toEqual(["The authenticator's metadata status REVOKED would refuse it in enforced mode."]);
  });

  it('reports attca for an authenticator whose metadata declares only attca', async () => {
    const result = await register(packed(), 'monitor', { metadata: lookupOf(entry({ attestationTypes: ['attca'] })) });
    expect(result.attestationType).toBe('attca');
  });

  it('looks up none attestation by AAGUID for its description, trusting nothing', async () => {
    const made = registration('none', () => new Map(), { aaguid: AAGUID });
    const result = await register(made, 'monitor', { metadata: lookupOf(entry()) });
    expect(result).toMatchObject({
      attestationType: 'none',
      trust: 'none',
      metadata: { found: true, description: 'Keyward Test Authenticator' },
      warnings: [],
    });
  });
});

describe('attestation mode enforced', () => {
  const enforced = (made: Registration, options: Parameters<typeof register>[2] = {}) =>
    register(made, 'enforced', options);

  it('accepts an authenticator in metadata whose chain reaches a metadata root', async () => {
    const result = await enforced(packed(), { metadata: lookupOf(entry()) });
    expect([result.trust, result.metadata.found, result.warnings]).toEqual(['metadata', true, []]);
  });

  it('refuses an authenticator missing from metadata, or when no metadata is loaded', async () => {
    const stranger = entry({ aaguid: '11111111-2222-3333-4444-555555555555' });
    expect(await refusal(enforced(packed(), { metadata: lookupOf(stranger) }))).toMatchObject({
      category: 'TRUST',
      code: 'METADATA_NOT_FOUND',
    });
    expect(await codeOf(enforced(packed()))).toBe('METADATA_NOT_FOUND');
  });

  it('refuses a chain that reaches only a configured root', async () => {
    const configured = formatContext(new TrustAnchors([{ name: 'configured root', certificate: root.certificate }]));
    const otherRoots = entry({ attestationRootCertificates: [testCa('Other Root').der.toString('base64')] });
    expect(await refusal(enforced(packed(), { context: configured, metadata: lookupOf(otherRoots) }))).toMatchObject({
      category: 'TRUST',
      code: 'UNTRUSTED_ROOT',
    });
  });

  it('refuses x5c with its own root (GHSA-6hxq-p678-4hr2)', async () => {
    expect(await refusal(enforced(ownRootRegistration(), { metadata: lookupOf(entry()) }))).toMatchObject({
      category: 'TRUST',
      code: 'UNTRUSTED_ROOT',
    });
  });

  it('refuses a status the policy refuses, naming it in the detail', async () => {
    const revoked = entry({ statusReports: [{ status: 'REVOKED', effectiveDate: '2025-01-01' }] });
    expect(await refusal(enforced(packed(), { metadata: lookupOf(revoked) }))).toEqual({
      category: 'TRUST',
      code: 'METADATA_STATUS_REFUSED',
      detail: 'REVOKED since 2025-01-01: refused status (Keyward Test Authenticator, local: keyward-test.json)',
    });
    const future = entry({ statusReports: [{ status: 'REVOKED', effectiveDate: '2026-01-01' }] });
    expect((await enforced(packed(), { metadata: lookupOf(future) })).trust).toBe('metadata');
  });

  it('refuses an ATTESTATION_KEY_COMPROMISE naming this attestation certificate, not one naming another', async () => {
    const compromise = (certificate: Buffer): StatusReport => ({
      status: 'ATTESTATION_KEY_COMPROMISE',
      effectiveDate: '2025-01-01',
      certificate: certificate.toString('base64'),
    });
    const other = leafCertificate(root, ecKey());
    const elsewhere = entry({ statusReports: [compromise(other)] });
    expect((await enforced(packed(), { metadata: lookupOf(elsewhere) })).trust).toBe('metadata');
    const here = entry({ statusReports: [compromise(leaf)] });
    expect(await codeOf(enforced(packed(), { metadata: lookupOf(here) }))).toBe('METADATA_STATUS_REFUSED');
  });

  it('refuses a certification below the configured minimum level', async () => {
    const policy = { ...DEFAULT_POLICY, minCertificationLevel: 'FIDO_CERTIFIED_L2' };
    const refused = await refusal(enforced(packed(), { metadata: lookupOf(entry()), policy }));
    expect(refused.code).toBe('METADATA_STATUS_REFUSED');
    expect(refused.detail).toContain('below the minimum certification level');
  });

  it('refuses none attestation', async () => {
    const made = registration('none', () => new Map(), { aaguid: AAGUID });
    expect(await refusal(enforced(made, { metadata: lookupOf(entry()) }))).toMatchObject({
      category: 'TRUST',
      code: 'ATTESTATION_TYPE_REFUSED',
    });
  });

  it('accepts self attestation only from authenticators whose metadata declares basic_surrogate', async () => {
    const credential = ecKey();
    const made = registration('packed', packedSelf(credential), { credential, aaguid: AAGUID });
    expect(await codeOf(enforced(made, { metadata: lookupOf(entry()) }))).toBe('ATTESTATION_TYPE_REFUSED');
    const surrogate = entry({ attestationTypes: ['basic_surrogate'], attestationRootCertificates: [] });
    const result = await enforced(made, { metadata: lookupOf(surrogate) });
    expect([result.attestationType, result.trust]).toEqual(['self', 'none']);
  });
});
