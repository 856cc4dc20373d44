import type { ParsedCertificate } from '../../../crypto/x509/certificate.js';
import type { MetadataEntry, StatusPolicy, StatusReport } from '../types.js';
import { parseDate } from './statement.js';

/** The statuses refused unless fido2.mds.refuseStatuses says otherwise: revocation and every compromise MDS3 reports. */
export const DEFAULT_REFUSED_STATUSES = [
  'REVOKED',
  'USER_VERIFICATION_BYPASS',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
] as const;

/** FIDO certification levels, lowest first; the plain FIDO_CERTIFIED status counts as L1. */
export const CERTIFICATION_LEVELS = [
  'FIDO_CERTIFIED_L1',
  'FIDO_CERTIFIED_L1plus',
  'FIDO_CERTIFIED_L2',
  'FIDO_CERTIFIED_L2plus',
  'FIDO_CERTIFIED_L3',
  'FIDO_CERTIFIED_L3plus',
] as const;

/** Statuses after which earlier certifications no longer count. */
const ENDS_CERTIFICATION = new Set(['REVOKED', 'NOT_FIDO_CERTIFIED']);

/** 1 for L1 … 6 for L3plus; 0 for statuses that are not certifications. */
function levelOf(status: string): number {
  if (status === 'FIDO_CERTIFIED') return 1;
  return (CERTIFICATION_LEVELS as readonly string[]).indexOf(status) + 1;
}

export interface StatusDecision {
  /**
   * The status reports in effect at the time (effectiveDate on or before it; undated ones since
   * ever) that concern this authenticator, oldest first: reports of a refused status that name
   * another attestation certificate are left out.
   */
  inEffect: StatusReport[];
  /**
   * Set when the authenticator is refused: the latest report in effect with a refused status or,
   * for a certification below the minimum, the highest certification report in effect (the
   * latest report, or a NOT_FIDO_CERTIFIED stand-in when there is none).
   */
  refusedBy?: StatusReport;
  reason?: 'status' | 'certificationLevel';
  /** The highest certification in effect (FIDO_CERTIFIED counted as FIDO_CERTIFIED_L1); none after a REVOKED or NOT_FIDO_CERTIFIED. */
  certificationLevel?: string;
}

/**
 * Decides an authenticator's metadata status at `at` (MDS3: the latest status report in effect
 * decides, so a later FIDO_CERTIFIED lifts an earlier REVOKED):
 * - reports whose effectiveDate is after `at` are not yet in effect;
 * - a report of a refused status that names a `certificate` concerns only that attestation
 *   certificate (ATTESTATION_KEY_COMPROMISE of one batch): it applies when
 *   `attestationCertificate` is byte for byte that certificate, and is left out otherwise;
 * - the latest report decides; among reports of the same latest date, a refused one wins;
 * - with `policy.minCertificationLevel`, the highest certification in effect must reach it.
 */
export function decideStatus(
  entry: MetadataEntry,
  at: number,
  policy: StatusPolicy,
  attestationCertificate?: ParsedCertificate,
): StatusDecision {
  const minimum = policy.minCertificationLevel === '' ? 0 : levelOf(policy.minCertificationLevel);
  if (minimum === 0 && policy.minCertificationLevel !== '')
    throw new TypeError(`unknown certification level ${policy.minCertificationLevel}`);
  const refused = (report: StatusReport) => policy.refuse.includes(report.status);
  const dated: { report: StatusReport; date: number }[] = [];
  for (const report of entry.statusReports) {
    const date = report.effectiveDate === undefined ? Number.NEGATIVE_INFINITY : parseDate(report.effectiveDate);
    if (date === undefined || date > at) continue;
    if (report.certificate !== undefined && refused(report) && !concerns(report.certificate, attestationCertificate))
      continue;
    dated.push({ report, date });
  }
  dated.sort((a, b) => a.date - b.date);
  const inEffect = dated.map(({ report }) => report);
  const decision: StatusDecision = { inEffect };

  let highest: StatusReport | undefined;
  for (const report of inEffect) {
    if (ENDS_CERTIFICATION.has(report.status)) highest = undefined;
    else if (levelOf(report.status) > (highest ? levelOf(highest.status) : 0)) highest = report;
  }
  if (highest) decision.certificationLevel = CERTIFICATION_LEVELS[levelOf(highest.status) - 1];

  const latestDate = dated.at(-1)?.date;
  const latest = dated.filter(({ date }) => date === latestDate).map(({ report }) => report);
  const deciding = latest.find(refused) ?? latest.at(-1);
  if (deciding && refused(deciding)) {
    decision.refusedBy = deciding;
    decision.reason = 'status';
  } else if (minimum > 0 && (highest ? levelOf(highest.status) : 0) < minimum) {
    decision.refusedBy = highest ?? deciding ?? { status: 'NOT_FIDO_CERTIFIED' };
    decision.reason = 'certificationLevel';
  }
  return decision;
}

/** Whether a report's base64 certificate is the attestation certificate. */
function concerns(certificate: string, attestationCertificate: ParsedCertificate | undefined): boolean {
  return attestationCertificate?.der.equals(Buffer.from(certificate, 'base64')) === true;
}
