import { createHash } from 'node:crypto';
import { TagClass, UNIVERSAL, type DerElement } from '../../crypto/asn1/der.js';
import * as der from '../../crypto/asn1/der-writer.js';
import type { ParsedCsr } from '../../crypto/x509/csr.js';
import { parseStrictJson } from '../../crypto/strict-json.js';
import { contentError, type ErrorCode } from '../../errors.js';

const SERIAL_NUMBER = '2.5.4.5';
const MAX_DEVICE_NAME = 256;

export type Statement =
  | { typ: 'android-key'; x5c: Buffer[] }
  | { typ: 'ios-appattest'; attestation: Buffer; clientDataJSON: Buffer };

/** The nonce is the subject's one serialNumber, written as hex; Warden's server compares it without regard to case. */
export function nonceOf(csr: ParsedCsr): Buffer {
  const serials = csr.subjectValues(SERIAL_NUMBER);
  if (serials.length !== 1) {
    throw contentError('NONCE_MISSING', 'The request subject must carry exactly one serialNumber holding the nonce.', {
      detail: `${serials.length} serialNumber attributes`,
    });
  }
  const text = serials[0]!;
  if (!/^([0-9A-Fa-f]{2}){4,128}$/.test(text))
    throw contentError('NONCE_MALFORMED', 'The subject serialNumber is not the nonce in hex.');
  return Buffer.from(text, 'hex');
}

/** Attribute OIDs are distinct and in DER SET OF order. */
export function checkAttributes(csr: ParsedCsr): void {
  const seen = new Set<string>();
  for (const attribute of csr.attributes) {
    if (seen.has(attribute.type))
      throw contentError('DUPLICATE_ATTRIBUTE', 'A request attribute appears more than once.', {
        detail: attribute.type,
      });
    seen.add(attribute.type);
  }
  if (!csr.attributesSorted)
    throw contentError('MALFORMED_CSR', 'The certificate request is malformed.', {
      detail: 'attributes are not in DER SET OF order',
    });
}

function utf8Value(values: DerElement[], what: string, code: ErrorCode): string {
  const value = values[0];
  if (values.length !== 1 || !value || value.tagClass !== TagClass.Universal || value.tag !== UNIVERSAL.UTF8_STRING) {
    throw contentError(code, `The ${what} attribute must hold exactly one UTF8String.`);
  }
  return Buffer.from(value.content).toString('utf8');
}

/** Base64url as Warden writes it (no padding), tolerating padding. */
function base64url(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
    throw contentError('STATEMENT_MALFORMED', 'The attestation statement is malformed.', {
      detail: `${what} is not base64url`,
    });
  }
  return Buffer.from(value, 'base64url');
}

function exactKeys(object: Record<string, unknown>, keys: string[]): void {
  const extra = Object.keys(object).filter((key) => !keys.includes(key));
  const missing = keys.filter((key) => !(key in object));
  if (extra.length > 0 || missing.length > 0) {
    throw contentError('STATEMENT_MALFORMED', 'The attestation statement is malformed.', {
      detail: `unexpected [${extra.join(', ')}], missing [${missing.join(', ')}]`,
    });
  }
}

/** The statement in the proof attribute: exactly one UTF8String of JSON, discriminated by "typ". */
export function statementOf(csr: ParsedCsr, proofOid: string, maxChainLength: number): Statement {
  const attribute = csr.attributes.find((candidate) => candidate.type === proofOid);
  if (!attribute) throw contentError('PROOF_MISSING', 'The request carries no attestation proof attribute.');
  // Nesting bounded and duplicate keys refused: a first-wins reader must not see another statement than the one verified.
  const json = parseStrictJson(utf8Value(attribute.values, 'proof', 'PROOF_MALFORMED'), (detail) =>
    contentError('STATEMENT_MALFORMED', 'The attestation statement is malformed.', { detail }),
  );
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw contentError('STATEMENT_MALFORMED', 'The attestation statement is malformed.');
  const statement = json as Record<string, unknown>;
  switch (statement.typ) {
    case 'android-key': {
      exactKeys(statement, ['typ', 'x5c']);
      if (!Array.isArray(statement.x5c) || statement.x5c.length === 0 || statement.x5c.length > maxChainLength) {
        throw contentError('STATEMENT_MALFORMED', 'The attestation statement is malformed.', {
          detail: 'x5c must be a non-empty array within the chain length limit',
        });
      }
      return {
        typ: 'android-key',
        x5c: statement.x5c.map((certificate, index) => base64url(certificate, `x5c[${index}]`)),
      };
    }
    case 'ios-appattest':
      exactKeys(statement, ['typ', 'attestation', 'clientDataJSON']);
      return {
        typ: 'ios-appattest',
        attestation: base64url(statement.attestation, 'attestation'),
        clientDataJSON: base64url(statement.clientDataJSON, 'clientDataJSON'),
      };
    default:
      throw contentError('UNSUPPORTED_STATEMENT', 'The attestation statement type is not supported.', {
        detail: `typ ${JSON.stringify(statement.typ)?.slice(0, 40)}`,
      });
  }
}

export function deviceNameOf(csr: ParsedCsr, oid: string): string | undefined {
  if (!oid) return undefined;
  const attribute = csr.attributes.find((candidate) => candidate.type === oid);
  if (!attribute) return undefined;
  const name = utf8Value(attribute.values, 'device name', 'DEVICE_NAME_MALFORMED');
  if (name.length === 0 || name.length > MAX_DEVICE_NAME || /[\u0000-\u001f\u007f]/.test(name))
    throw contentError('DEVICE_NAME_MALFORMED', 'The device name is malformed.');
  return name;
}

const HASHES = { 'HASH-SHA256': 'sha256', 'HASH-SHA384': 'sha384', 'HASH-SHA512': 'sha512' } as const;

/**
 * HASH mode: the platform attestation's challenge is the digest of
 * SEQUENCE { version, subject, [0] IMPLICIT SET OF every attribute except the proof } (as received,
 * in the DER order checkAttributes enforces), so the attestation binds everything the certificate
 * is issued for.
 */
export function hashBinding(csr: ParsedCsr, proofOid: string, dataAuth: keyof typeof HASHES): Buffer {
  // ParsedCsr's strict DER reading guarantees the info is exactly SEQUENCE { version, subject, SPKI, [0] attributes }.
  const bound = csr.attributes.filter((attribute) => attribute.type !== proofOid).map((attribute) => attribute.der);
  const input = der.sequence(csr.version.bytes, csr.subjectDer, der.element(2, true, 0, Buffer.concat(bound)));
  return createHash(HASHES[dataAuth]).update(input).digest();
}
