import { decideStatus } from '../../attestation/webauthn/metadata/status-policy.js';
import type { MetadataEntry, StatusPolicy } from '../../attestation/webauthn/types.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';

/** A root certificate of a metadata statement, as an operator wants to see it. */
export interface RootSummary {
  subject: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
}

/**
 * One metadata entry for operators (`keyward mds lookup`, the console): what it names, where it
 * came from, its status reports, what the status policy decides at `at`, and its roots' subjects.
 */
export function describeEntry(entry: MetadataEntry, at: number, policy: StatusPolicy) {
  const decision = decideStatus(entry, at, policy);
  return {
    description: entry.description,
    ...(entry.aaguid ? { aaguid: entry.aaguid } : {}),
    ...(entry.attestationCertificateKeyIdentifiers
      ? { attestationCertificateKeyIdentifiers: entry.attestationCertificateKeyIdentifiers }
      : {}),
    source: entry.source,
    attestationTypes: entry.attestationTypes,
    statusReports: entry.statusReports,
    statuses: decision.inEffect.map((report) => report.status),
    ...(decision.certificationLevel ? { certificationLevel: decision.certificationLevel } : {}),
    refused: decision.refusedBy !== undefined,
    ...(decision.refusedBy ? { refusedBy: { status: decision.refusedBy.status, reason: decision.reason } } : {}),
    roots: entry.attestationRootCertificates.map(rootSummary),
  };
}

function rootSummary(base64: string): RootSummary | { unreadable: string } {
  try {
    const certificate = parseCertificate(Buffer.from(base64, 'base64'), 'METADATA_STATEMENT_INVALID', {
      cache: false,
    });
    return {
      subject: certificate.subject,
      notBefore: new Date(certificate.notBefore).toISOString(),
      notAfter: new Date(certificate.notAfter).toISOString(),
      fingerprint: certificate.fingerprint,
    };
  } catch (error) {
    return { unreadable: (error as { detail?: string }).detail ?? String(error) };
  }
}
