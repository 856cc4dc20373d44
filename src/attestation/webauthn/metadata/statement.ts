import { ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { contentError } from '../../../errors.js';
import type { MetadataEntry, StatusReport } from '../types.js';

const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AAID = /^[0-9a-f]{4}#[0-9a-f]{4}$/i;
const HEX = /^(?:[0-9a-f]{2}){1,64}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WHITESPACE = /\s+/g;

type Json = Record<string, unknown>;

const invalid = (field: string, why: string, detail?: string) =>
  contentError('METADATA_STATEMENT_INVALID', `The metadata statement's ${field} ${why}.`, {
    detail: detail ?? `${field} ${why}`,
  });

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Epoch ms of a YYYY-MM-DD date (UTC midnight), or undefined when it is not a real date. */
export function parseDate(text: string): number | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    ? time
    : undefined;
}

/**
 * Padded standard base64, decoded, when `text` is exactly what re-encoding the bytes gives (so no
 * foreign characters, url-safe alphabet or stray bits); undefined otherwise.
 */
export function strictBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Base64 with line breaks and spaces removed (real statements carry PEM-style breaks), checked strictly: the text and its bytes. */
function base64Field(value: unknown, field: string): { text: string; bytes: Buffer } {
  if (typeof value !== 'string') throw invalid(field, 'is not a string');
  const text = value.replace(WHITESPACE, '');
  const bytes = strictBase64(text);
  if (!bytes) throw invalid(field, 'is not base64');
  return { text, bytes };
}

function rootCertificates(statement: Json): string[] {
  const roots = statement.attestationRootCertificates;
  if (!Array.isArray(roots)) throw invalid('attestationRootCertificates', 'is not an array');
  return roots.map((value, index) => {
    const field = `attestationRootCertificates[${index}]`;
    const { text, bytes } = base64Field(value, field);
    try {
      // Parsed only to be sure it is a certificate: not cached, since most are never used.
      new ParsedCertificate(bytes, 'METADATA_STATEMENT_INVALID');
    } catch (error) {
      throw invalid(field, 'is not a DER certificate', `${field}: ${(error as { detail?: string }).detail ?? error}`);
    }
    return text;
  });
}

function stringArray(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw invalid(field, 'is not an array of strings');
  return value as string[];
}

/** Dashed lower-case UUID; the entry's and the statement's must agree when both are given. */
function aaguidOf(entry: Json | undefined, statement: Json): string | undefined {
  const values = [entry?.aaguid, statement.aaguid].filter((value) => value !== undefined);
  if (values.length === 0) return undefined;
  for (const value of values)
    if (typeof value !== 'string' || !AAGUID.test(value)) throw invalid('aaguid', 'is not a dashed UUID');
  const [first, second] = (values as string[]).map((value) => value.toLowerCase());
  if (second !== undefined && second !== first)
    throw invalid('aaguid', "differs from the entry's", `entry aaguid ${first}, statement aaguid ${second}`);
  return first;
}

/** Lower-case hex; the entry's list is authoritative (MDS3 repeats the statement's). */
function keyIdentifiersOf(entry: Json | undefined, statement: Json): string[] | undefined {
  const value = entry?.attestationCertificateKeyIdentifiers ?? statement.attestationCertificateKeyIdentifiers;
  if (value === undefined) return undefined;
  const field = 'attestationCertificateKeyIdentifiers';
  const list = stringArray(value, field);
  if (list.length === 0) throw invalid(field, 'is empty');
  return list.map((keyId, index) => {
    if (!HEX.test(keyId)) throw invalid(`${field}[${index}]`, 'is not hex');
    return keyId.toLowerCase();
  });
}

function aaidOf(entry: Json | undefined, statement: Json): string | undefined {
  const value = entry?.aaid ?? statement.aaid;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !AAID.test(value)) throw invalid('aaid', 'is not a UAF AAID (vvvv#mmmm)');
  return value;
}

const CERTIFIED = /^FIDO_CERTIFIED(_L[123](plus)?)?$/;

function statusReport(value: unknown, index: number): StatusReport {
  const field = `statusReports[${index}]`;
  if (!isObject(value)) throw invalid(field, 'is not an object');
  if (typeof value.status !== 'string' || value.status.length === 0)
    throw invalid(`${field}.status`, 'is not a string');
  const report: StatusReport = { status: value.status };
  if (value.effectiveDate !== undefined) {
    if (typeof value.effectiveDate !== 'string' || parseDate(value.effectiveDate) === undefined)
      throw invalid(`${field}.effectiveDate`, 'is not a YYYY-MM-DD date');
    report.effectiveDate = value.effectiveDate;
  }
  if (value.certificate !== undefined && value.certificate !== '')
    report.certificate = base64Field(value.certificate, `${field}.certificate`).text;
  if (value.url !== undefined) {
    if (typeof value.url !== 'string') throw invalid(`${field}.url`, 'is not a string');
    report.url = value.url;
  }
  if (CERTIFIED.test(value.status))
    report.certificationLevel = value.status === 'FIDO_CERTIFIED' ? 'FIDO_CERTIFIED_L1' : value.status;
  return report;
}

/**
 * A MetadataEntry from an MDS3 BLOB entry ({aaguid | aaid | attestationCertificateKeyIdentifiers,
 * metadataStatement, statusReports, timeOfLastStatusChange}) or from a bare metadata statement
 * (a file of the local metadata folder; it has no status reports). Checks what Keyward relies
 * on: the authenticator's identifier (a dashed UUID AAGUID, hex key identifiers, or a UAF AAID,
 * which Keyward does not look up), the description, root certificates that are base64 DER
 * certificates (whitespace removed), attestation types and status reports. Anything else in the
 * statement is kept as is, unchecked, for display. Throws CONTENT METADATA_STATEMENT_INVALID
 * naming the field.
 */
export function entryFromStatement(json: unknown, source: string): MetadataEntry {
  if (!isObject(json)) throw invalid('document', 'is not a JSON object');
  const isBlobEntry = json.metadataStatement !== undefined;
  const entry = isBlobEntry ? json : undefined;
  const statement = isBlobEntry ? json.metadataStatement : json;
  if (!isObject(statement)) throw invalid('metadataStatement', 'is not an object');

  const aaguid = aaguidOf(entry, statement);
  const keyIdentifiers = keyIdentifiersOf(entry, statement);
  if (aaguid === undefined && keyIdentifiers === undefined && aaidOf(entry, statement) === undefined)
    throw invalid('identifier', 'is missing (aaguid, attestationCertificateKeyIdentifiers or aaid)');
  if (typeof statement.description !== 'string') throw invalid('description', 'is not a string');

  let statusReports: StatusReport[] = [];
  if (entry) {
    if (!Array.isArray(entry.statusReports)) throw invalid('statusReports', 'is not an array');
    statusReports = entry.statusReports.map(statusReport);
  }
  const result: MetadataEntry = {
    description: statement.description,
    attestationRootCertificates: rootCertificates(statement),
    attestationTypes: stringArray(statement.attestationTypes, 'attestationTypes'),
    statusReports,
    source,
    statement,
  };
  if (aaguid !== undefined) result.aaguid = aaguid;
  if (keyIdentifiers !== undefined) result.attestationCertificateKeyIdentifiers = keyIdentifiers;
  return result;
}

/** Whether an entry is a UAF one (identified by AAID only): WebAuthn never looks those up. */
export const isUafEntry = (entry: MetadataEntry): boolean =>
  entry.aaguid === undefined && entry.attestationCertificateKeyIdentifiers === undefined;
