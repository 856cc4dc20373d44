import { asBuffer } from '../../crypto/bytes.js';
import { sha256 } from '../../crypto/keys.js';
import { contentError, trustError, type KeywardError } from '../../errors.js';
import { decodeAttestationObject } from './attestation-object.js';
import { checkClientData } from './client-data.js';
import { formatFor } from './formats/index.js';
import { decideStatus, type StatusDecision } from './metadata/status-policy.js';
import { assessTrust, findMetadata } from './trust.js';
import {
  FLAGS,
  type AttestationMode,
  type AttestationType,
  type AttestedCredential,
  type AuthenticatorData,
  type FormatContext,
  type FormatResult,
  type MetadataEntry,
  type MetadataLookup,
  type RegistrationExpectations,
  type StatusPolicy,
  type StatusReport,
  type WebAuthnRegistrationInput,
  type WebAuthnRegistrationResult,
} from './types.js';

export interface WebAuthnVerifierOptions {
  context: FormatContext;
  mode: AttestationMode;
  /** The metadata Keyward currently trusts (it changes as BLOBs are refreshed); undefined while none is loaded. */
  metadata?: () => MetadataLookup | undefined;
  statusPolicy: StatusPolicy;
}

/** WebAuthn §7.1 step 24. */
const MAX_CREDENTIAL_ID_LENGTH = 1023;

/** A dashed lower-case UUID from 16 bytes. */
export function formatAaguid(bytes: Uint8Array): string {
  const hex = asBuffer(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What the registration's metadata says: the entry, the statuses in effect and whether one of them refuses it. */
interface MetadataView {
  entry?: MetadataEntry;
  statuses: string[];
  refusedBy?: StatusReport;
  reason?: StatusDecision['reason'];
}

/** Why a chain was not trusted, for a warning: code and client-safe message (the detail stays in the log). */
const describe = (error: KeywardError) => `${error.code}: ${error.message}`;

/**
 * Registration ceremonies (WebAuthn §7.1, docs/protocols/webauthn.md), in the specification's
 * order: client data → authenticator data (RP ID hash, UP, UV, backup flags, attested credential,
 * algorithm, credential id) → the attestation statement of its format → trust (metadata roots,
 * then the format's roots) and metadata status, decided by the attestation mode:
 * - disabled: the statement is not looked at; nothing vouches for the authenticator;
 * - monitor: an invalid statement is refused; what its trust and metadata status are is recorded,
 *   and an untrusted chain or a refused status is a warning;
 * - enforced: the authenticator must be in metadata, its attestation must reach a metadata root
 *   (self attestation only where its metadata declares basic_surrogate) and its status must be
 *   acceptable.
 */
export class WebAuthnVerifier {
  constructor(readonly options: WebAuthnVerifierOptions) {}

  async verifyRegistration(
    input: WebAuthnRegistrationInput,
    expect: RegistrationExpectations,
    at: number,
  ): Promise<WebAuthnRegistrationResult> {
    const { options } = this;
    // Steps 5–11: the client data is for this ceremony, challenge and origin.
    const { clientDataHash } = checkClientData(input.clientDataJSON, {
      type: 'webauthn.create',
      challenge: expect.challenge,
      origins: expect.origins,
    });
    // Step 12: decoded, its authenticator data carrying the new credential.
    const object = decodeAttestationObject(input.attestationObject);
    const authData = object.authData;
    const credential = checkAuthenticatorData(authData, expect, input.id);
    const aaguid = formatAaguid(credential.aaguid);

    if (options.mode === 'disabled') {
      return this.result(object.fmt, { attestationType: 'none', trustPath: [] }, authData, credential, {
        aaguid,
        trust: { trust: 'none' },
        metadata: { statuses: [] },
        warnings: [],
      });
    }

    // Steps 20–21: the statement is valid for its format.
    const statement = await formatFor(object.fmt).verify(
      { attStmt: object.attStmt, authData, clientDataHash, at },
      options.context,
    );

    // Steps 22–23: what vouches for it.
    const lookup = options.metadata?.();
    const entry = lookup ? findMetadata(lookup, aaguid, statement.trustPath) : undefined;
    const trust = assessTrust(statement, {
      entry,
      roots: options.context.rootsFor(object.fmt),
      at,
      maxChainLength: options.context.maxChainLength,
    });
    const metadata = metadataView(entry, at, options.statusPolicy, statement);
    const warnings = [...(statement.warnings ?? [])];

    if (options.mode === 'enforced') {
      enforce(statement, entry, trust.trust === 'metadata' ? undefined : (trust.metadataFailure ?? trust.failure));
      if (metadata.refusedBy) {
        const { status, effectiveDate } = metadata.refusedBy;
        const why =
          metadata.reason === 'certificationLevel' ? 'below the minimum certification level' : 'refused status';
        throw trustError(
          'METADATA_STATUS_REFUSED',
          'The authenticator is not accepted because of its metadata status.',
          {
            detail: `${status}${effectiveDate ? ` since ${effectiveDate}` : ''}: ${why} (${entry!.description}, ${entry!.source})`,
          },
        );
      }
    } else {
      if (trust.trust === 'none' && trust.failure !== undefined) {
        warnings.push(`The attestation certificate chain reaches no trusted root (${describe(trust.failure)})`);
      } else if (entry && trust.trust === 'root' && trust.metadataFailure !== undefined) {
        warnings.push(
          `The attestation certificate chain does not reach a root of the authenticator's metadata statement (${describe(trust.metadataFailure)})`,
        );
      }
      if (metadata.refusedBy) {
        warnings.push(
          metadata.reason === 'certificationLevel'
            ? `The authenticator's certification (${metadata.refusedBy.status}) is below the minimum level: it would be refused in enforced mode.`
            : `The authenticator's metadata status ${metadata.refusedBy.status} would refuse it in enforced mode.`,
        );
      }
    }

    return this.result(object.fmt, statement, authData, credential, {
      aaguid,
      trust,
      metadata,
      warnings,
    });
  }

  private result(
    fmt: string,
    statement: FormatResult,
    authData: AuthenticatorData,
    credential: AttestedCredential,
    outcome: {
      aaguid: string;
      trust: { trust: WebAuthnRegistrationResult['trust']; anchor?: string };
      metadata: MetadataView;
      warnings: string[];
    },
  ): WebAuthnRegistrationResult {
    const { entry } = outcome.metadata;
    const result: WebAuthnRegistrationResult = {
      fmt,
      attestationType: refineType(statement.attestationType, entry),
      trust: outcome.trust.trust,
      aaguid: outcome.aaguid,
      credentialId: credential.credentialId,
      publicKey: credential.publicKey,
      publicKeyBytes: credential.publicKeyBytes,
      counter: authData.counter,
      flags: authData.flags,
      userVerified: (authData.flags & FLAGS.UV) !== 0,
      backupEligible: (authData.flags & FLAGS.BE) !== 0,
      backedUp: (authData.flags & FLAGS.BS) !== 0,
      trustPath: statement.trustPath.map((certificate) => certificate.der.toString('base64')),
      metadata: entry
        ? { found: true, description: entry.description, statuses: outcome.metadata.statuses, source: entry.source }
        : { found: false, statuses: [] },
      facts: { ...statement.facts },
      warnings: outcome.warnings,
    };
    if (outcome.trust.anchor !== undefined) result.anchor = outcome.trust.anchor;
    if (authData.extensions) result.facts.authenticatorExtensions = plain(authData.extensions);
    return result;
  }
}

/** Steps 13–18 and 24: the authenticator data is for this RP, carries the flags the RP requires and a credential it accepts. */
function checkAuthenticatorData(
  authData: AuthenticatorData & { attested: AttestedCredential },
  expect: RegistrationExpectations,
  responseId: string,
): AttestedCredential {
  if (!sha256(Buffer.from(expect.rpId, 'utf8')).equals(authData.rpIdHash)) {
    throw trustError('RP_ID_MISMATCH', 'The credential was created for another relying party.', {
      detail: `rpIdHash ${asBuffer(authData.rpIdHash).toString('hex')} is not SHA-256("${expect.rpId}")`,
    });
  }
  if (expect.requireUserPresence && (authData.flags & FLAGS.UP) === 0)
    throw trustError('USER_PRESENCE_MISSING', 'The authenticator did not test user presence.');
  if (expect.requireUserVerification && (authData.flags & FLAGS.UV) === 0)
    throw trustError('USER_VERIFICATION_MISSING', 'The authenticator did not verify the user.');
  if ((authData.flags & FLAGS.BS) !== 0 && (authData.flags & FLAGS.BE) === 0) {
    throw contentError('BACKUP_STATE_INVALID', 'The authenticator data is inconsistent.', {
      detail: 'BS (backed up) is set without BE (backup eligible)',
    });
  }
  const credential = authData.attested;
  if (!expect.algorithms.includes(credential.publicKey.alg)) {
    throw contentError('COSE_ALGORITHM_NOT_ALLOWED', "The credential's algorithm is not one the server offered.", {
      detail: `alg ${credential.publicKey.alg}, offered ${expect.algorithms.join(', ')}`,
    });
  }
  if (credential.credentialId.length > MAX_CREDENTIAL_ID_LENGTH) {
    throw contentError('CREDENTIAL_ID_TOO_LONG', 'The credential id is too long.', {
      detail: `${credential.credentialId.length} bytes`,
    });
  }
  if (asBuffer(credential.credentialId).toString('base64url') !== responseId) {
    throw contentError('RESPONSE_ID_MISMATCH', 'The response id is not the credential id.', {
      detail: `response id ${responseId.slice(0, 64)}`,
    });
  }
  return credential;
}

/** The metadata statuses in effect, and whether the status policy refuses the authenticator (or only its attestation certificate). */
function metadataView(
  entry: MetadataEntry | undefined,
  at: number,
  policy: StatusPolicy,
  statement: FormatResult,
): MetadataView {
  if (!entry) return { statuses: [] };
  const decision = decideStatus(entry, at, policy, statement.trustPath[0]);
  const view: MetadataView = { entry, statuses: decision.inEffect.map((report) => report.status) };
  if (decision.refusedBy) {
    view.refusedBy = decision.refusedBy;
    view.reason = decision.reason;
  }
  return view;
}

/**
 * Enforced mode's attestation requirements: metadata, and trust from it. `trustFailure` is why
 * the path reached no metadata root (rethrown: its code says what was wrong with the chain).
 */
function enforce(
  statement: FormatResult,
  entry: MetadataEntry | undefined,
  trustFailure: KeywardError | undefined,
): void {
  if (!entry) {
    throw trustError('METADATA_NOT_FOUND', 'The authenticator is not known to this server.', {
      detail: 'no metadata entry for its AAGUID or attestation key identifier',
    });
  }
  const type = statement.attestationType;
  if (type === 'none') {
    throw trustError('ATTESTATION_TYPE_REFUSED', 'The authenticator did not attest the credential.', {
      detail: `none attestation (${entry.description})`,
    });
  }
  if (type === 'self') {
    if (!entry.attestationTypes.includes('basic_surrogate')) {
      throw trustError('ATTESTATION_TYPE_REFUSED', 'The authenticator did not attest the credential.', {
        detail: `self attestation; metadata declares ${entry.attestationTypes.join(', ') || 'no attestation types'} (${entry.description})`,
      });
    }
    return;
  }
  if (trustFailure !== undefined) throw trustFailure;
}

/**
 * Packed and fido-u2f statements do not say whether their certificate is a batch certificate
 * (basic) or issued by an attestation CA (attca); an authenticator whose metadata declares only
 * attca is reported as attca.
 */
function refineType(type: AttestationType, entry: MetadataEntry | undefined): AttestationType {
  if (type !== 'basic' || !entry) return type;
  const types = entry.attestationTypes;
  return types.includes('attca') && !types.includes('basic_full') ? 'attca' : type;
}

/** Decoded CBOR (maps with any keys, byte strings) as JSON-friendly values for the record. */
function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [String(key), plain(item)]));
  if (value instanceof Uint8Array) return asBuffer(value).toString('base64url');
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'bigint') return value.toString();
  return value;
}
