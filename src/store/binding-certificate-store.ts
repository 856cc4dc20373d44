/** One issued binding certificate: what was attested and for which policy. */
export interface BindingCertificateRecord {
  /** Lowercase hex. */
  serial: string;
  policy: string;
  platform: 'android' | 'apple';
  subject: string;
  /** SHA-256 of the certified key's SPKI, hex: find every certificate a device key holds. */
  keyThumbprint: string;
  /** The attested facts that mattered (security level, boot state, OS, app): JSON-serializable. */
  summary: Record<string, unknown>;
  issuedAt: number;
  notAfter: number;
  revokedAt?: number;
  revocationReason?: string;
}

/** The RFC 5280 CRLReason names an operator may give when revoking a binding certificate (not the CA-level or hold ones). */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;

export type RevokeOutcome = 'revoked' | 'already-revoked' | 'unknown';

/** Issued binding certificates. Revocation is one compare-and-set: a certificate is revoked once. */
export interface BindingCertificateStore {
  record(record: BindingCertificateRecord): Promise<void>;
  find(serial: string): Promise<BindingCertificateRecord | undefined>;
  revoke(serial: string, reason: string, at: number): Promise<RevokeOutcome>;
  /** Revoked certificates that have not expired by `now` (what a CRL lists), oldest revocation first. */
  revokedUnexpired(now: number): Promise<{ serial: string; revokedAt: number; reason: string }[]>;
  /** Most recent first. */
  list(options: { limit: number; keyThumbprint?: string }): Promise<BindingCertificateRecord[]>;
  /**
   * The console's listing, newest issued first: `search` matches a serial prefix (lowercase hex)
   * or a substring of the subject (case-insensitive); `total` counts every match.
   */
  page(query: {
    limit: number;
    offset?: number;
    search?: string;
    platform?: 'android' | 'apple';
    revoked?: boolean;
  }): Promise<{ items: BindingCertificateRecord[]; total: number }>;
}
