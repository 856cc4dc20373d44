import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spkiOf } from '../../../crypto/keys.js';
import { parseCertificate, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { buildCertificate, encodeName, randomSerial } from '../../../crypto/x509/certificate-builder.js';
import { NAME_OIDS } from '../../../crypto/x509/names.js';
import type { MetadataEntry, StatusPolicy, StatusReport } from '../types.js';
import { CERTIFICATION_LEVELS, DEFAULT_REFUSED_STATUSES, decideStatus } from './status-policy.js';

const entry = (...statusReports: StatusReport[]): MetadataEntry => ({
  aaguid: 'a7d6d93a-8a0d-11e8-9a94-a6cf71072f73',
  description: 'Test authenticator',
  attestationRootCertificates: [],
  attestationTypes: ['basic_full'],
  statusReports,
  source: 'mds:1',
  statement: {},
});

const policy = (overrides: Partial<StatusPolicy> = {}): StatusPolicy => ({
  refuse: DEFAULT_REFUSED_STATUSES,
  minCertificationLevel: '',
  ...overrides,
});

const day = (date: string) => Date.parse(`${date}T00:00:00Z`);

function batchCertificate(name: string): ParsedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subjectDer = encodeName([[NAME_OIDS.CN, name]]);
  return parseCertificate(
    buildCertificate(
      {
        serial: randomSerial(),
        subjectDer,
        spki: spkiOf(publicKey),
        notBefore: 0,
        notAfter: day('2040-01-01'),
        extensions: [],
      },
      { key: privateKey, subjectDer, keyIdentifier: Buffer.alloc(20) },
    ),
  );
}

const certified = { status: 'FIDO_CERTIFIED_L1', effectiveDate: '2020-01-10' };
const revoked = { status: 'REVOKED', effectiveDate: '2022-03-01' };

describe('decideStatus', () => {
  it('refuses the default statuses: revocation and every compromise', () => {
    expect(DEFAULT_REFUSED_STATUSES).toEqual([
      'REVOKED',
      'USER_VERIFICATION_BYPASS',
      'ATTESTATION_KEY_COMPROMISE',
      'USER_KEY_REMOTE_COMPROMISE',
      'USER_KEY_PHYSICAL_COMPROMISE',
    ]);
    for (const status of DEFAULT_REFUSED_STATUSES) {
      const decision = decideStatus(
        entry(certified, { status, effectiveDate: '2021-01-01' }),
        day('2022-01-01'),
        policy(),
      );
      expect(decision).toMatchObject({ refusedBy: { status }, reason: 'status' });
    }
    for (const status of ['UPDATE_AVAILABLE', 'SELF_ASSERTION_SUBMITTED', 'NOT_FIDO_CERTIFIED', 'FIDO_CERTIFIED_L2'])
      expect(
        decideStatus(entry(certified, { status, effectiveDate: '2021-01-01' }), day('2022-01-01'), policy()).refusedBy,
      ).toBeUndefined();
  });

  it('counts only reports in effect: effectiveDate on or before the time, undated ones always', () => {
    const subject = entry(certified, revoked);
    expect(decideStatus(subject, day('2022-03-01') - 1, policy())).toEqual({
      inEffect: [certified],
      certificationLevel: 'FIDO_CERTIFIED_L1',
    });
    expect(decideStatus(subject, day('2022-03-01'), policy())).toMatchObject({
      inEffect: [certified, revoked],
      refusedBy: revoked,
    });
    const undated = { status: 'USER_VERIFICATION_BYPASS' };
    expect(decideStatus(entry(undated), day('1990-01-01'), policy()).refusedBy).toBe(undated);
    // Undated reports count as the oldest: a later certification lifts them.
    const lifted = decideStatus(entry(certified, undated), day('2021-01-01'), policy());
    expect(lifted.inEffect).toEqual([undated, certified]);
    expect(lifted.refusedBy).toBeUndefined();
  });

  it('lets the latest report in effect decide, in whatever order the reports come', () => {
    const recertified = { status: 'FIDO_CERTIFIED_L2', effectiveDate: '2023-06-01' };
    const subject = entry(recertified, revoked, certified);
    expect(decideStatus(subject, day('2022-12-31'), policy()).refusedBy).toBe(revoked);
    const later = decideStatus(subject, day('2023-06-02'), policy());
    expect(later.refusedBy).toBeUndefined();
    expect(later.inEffect).toEqual([certified, revoked, recertified]);
    expect(later.certificationLevel).toBe('FIDO_CERTIFIED_L2');
  });

  it('refuses when a refused status and another share the latest date', () => {
    const sameDay = { status: 'FIDO_CERTIFIED_L2', effectiveDate: revoked.effectiveDate };
    expect(decideStatus(entry(certified, revoked, sameDay), day('2023-01-01'), policy()).refusedBy).toBe(revoked);
    expect(decideStatus(entry(certified, sameDay, revoked), day('2023-01-01'), policy()).refusedBy).toBe(revoked);
  });

  it('applies a compromise that names a certificate only to that attestation certificate', () => {
    const compromised = batchCertificate('batch 1');
    const other = batchCertificate('batch 2');
    const report = {
      status: 'ATTESTATION_KEY_COMPROMISE',
      effectiveDate: '2021-05-01',
      certificate: compromised.der.toString('base64'),
    };
    const subject = entry(certified, report);
    const at = day('2022-01-01');
    expect(decideStatus(subject, at, policy(), compromised)).toMatchObject({
      refusedBy: report,
      inEffect: [certified, report],
    });
    expect(decideStatus(subject, at, policy(), other)).toEqual({
      inEffect: [certified],
      certificationLevel: 'FIDO_CERTIFIED_L1',
    });
    expect(decideStatus(subject, at, policy()).refusedBy).toBeUndefined();
    // It does not hide an earlier refusal that concerns every certificate.
    expect(
      decideStatus(
        entry(certified, revoked, { ...report, effectiveDate: '2022-06-01' }),
        day('2023-01-01'),
        policy(),
        other,
      ).refusedBy,
    ).toBe(revoked);
  });

  it('follows the configured list of refused statuses', () => {
    const update = { status: 'UPDATE_AVAILABLE', effectiveDate: '2021-01-01' };
    expect(
      decideStatus(entry(certified, revoked), day('2023-01-01'), policy({ refuse: [] })).refusedBy,
    ).toBeUndefined();
    expect(
      decideStatus(entry(certified, update), day('2023-01-01'), policy({ refuse: ['UPDATE_AVAILABLE'] })).refusedBy,
    ).toBe(update);
  });

  it('refuses certification below the minimum level; FIDO_CERTIFIED counts as L1', () => {
    const at = day('2023-01-01');
    const plain = { status: 'FIDO_CERTIFIED', effectiveDate: '2020-01-01' };
    const l1plus = { status: 'FIDO_CERTIFIED_L1plus', effectiveDate: '2021-01-01' };
    const l2 = { status: 'FIDO_CERTIFIED_L2', effectiveDate: '2021-01-01' };
    expect(
      decideStatus(entry(plain), at, policy({ minCertificationLevel: 'FIDO_CERTIFIED_L1' })).refusedBy,
    ).toBeUndefined();
    expect(
      decideStatus(entry(plain, l1plus), at, policy({ minCertificationLevel: 'FIDO_CERTIFIED_L2' })),
    ).toMatchObject({
      refusedBy: l1plus,
      reason: 'certificationLevel',
      certificationLevel: 'FIDO_CERTIFIED_L1plus',
    });
    expect(
      decideStatus(entry(plain, l2), at, policy({ minCertificationLevel: 'FIDO_CERTIFIED_L2' })).refusedBy,
    ).toBeUndefined();
    // The highest certification counts, not the latest report.
    const update = { status: 'UPDATE_AVAILABLE', effectiveDate: '2022-01-01' };
    expect(
      decideStatus(entry(l2, update), at, policy({ minCertificationLevel: 'FIDO_CERTIFIED_L2' })).refusedBy,
    ).toBeUndefined();
    expect(decideStatus(entry(l2), at, policy({ minCertificationLevel: 'FIDO_CERTIFIED_L3plus' })).reason).toBe(
      'certificationLevel',
    );
  });

  it('finds no certification in effect without one, or after a revocation or NOT_FIDO_CERTIFIED', () => {
    const at = day('2023-01-01');
    const minimum = policy({ refuse: [], minCertificationLevel: 'FIDO_CERTIFIED_L1' });
    expect(decideStatus(entry(), at, minimum)).toEqual({
      inEffect: [],
      refusedBy: { status: 'NOT_FIDO_CERTIFIED' },
      reason: 'certificationLevel',
    });
    const decision = decideStatus(entry(certified, revoked), at, minimum);
    expect(decision).toMatchObject({ refusedBy: revoked, reason: 'certificationLevel' });
    expect(decision.certificationLevel).toBeUndefined();
    const notCertified = { status: 'NOT_FIDO_CERTIFIED', effectiveDate: '2021-01-01' };
    expect(decideStatus(entry(certified, notCertified), at, minimum).refusedBy).toBe(notCertified);
    // A future certification is not in effect yet.
    expect(decideStatus(entry({ status: 'FIDO_CERTIFIED_L3', effectiveDate: '2030-01-01' }), at, minimum).reason).toBe(
      'certificationLevel',
    );
  });

  it('prefers a refused status over a certification shortfall, and rejects unknown levels as a programming error', () => {
    expect(
      decideStatus(entry(certified, revoked), day('2023-01-01'), policy({ minCertificationLevel: 'FIDO_CERTIFIED_L3' }))
        .reason,
    ).toBe('status');
    expect(() => decideStatus(entry(), 0, policy({ minCertificationLevel: 'FIDO_CERTIFIED_L4' }))).toThrow(TypeError);
    expect(CERTIFICATION_LEVELS).toHaveLength(6);
  });
});
