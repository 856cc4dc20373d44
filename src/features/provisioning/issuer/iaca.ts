import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
} from '../../../crypto/x509/certificate-builder.js';
import { parseCertificate, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { annexBName, IACA_MAX_VALIDITY_DAYS, issuerAlternativeName } from './annex-b-profile.js';
import { IssuerConfigurationError } from './issuer-configuration-error.js';

/** Who the issuing authority is: the subject and the Annex B pointers every certificate carries. */
export interface IssuerIdentity {
  /** ISO 3166-1 alpha-2, upper case (Annex B: countryName, PrintableString). */
  country: string;
  organization: string;
  /** stateOrProvinceName; when the IACA has one, its document signers repeat it. */
  stateOrProvince?: string;
  /** The CRL distribution point URL (http or https) Annex B requires in every certificate. */
  crlUrl: string;
  /** An https URL or e-mail address for issuerAlternativeName; defaults to the CRL URL's origin. */
  issuerAlternativeName?: string;
}

export interface IacaOptions extends IssuerIdentity {
  /** Defaults to "<organization> IACA". */
  commonName?: string;
  /** Defaults to 3650 (ten years); at most 7305 (Annex B: 20 years). */
  validityDays?: number;
}

/** A certificate with its private key. */
export interface CertificateWithKey {
  certificate: ParsedCertificate;
  key: KeyObject;
}

const DAY = 86_400_000;

/**
 * A self-signed IACA root with the Annex B profile: EC P-256, ecdsa-with-SHA256, random 20-byte
 * serial, basicConstraints CA:TRUE pathLen 0 (critical), keyUsage keyCertSign + cRLSign
 * (critical), subjectKeyIdentifier, issuerAlternativeName, cRLDistributionPoints; valid from
 * `at` (whole seconds) for `validityDays`.
 */
export function generateIaca(options: IacaOptions, at: number): CertificateWithKey {
  const identity = checkIssuerIdentity(options);
  const validityDays = checkValidityDays(options.validityDays ?? 3650, IACA_MAX_VALIDITY_DAYS);
  const commonName = checkText('commonName', options.commonName ?? `${identity.organization} IACA`);
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const subjectDer = encodeName(annexBName({ ...identity, commonName }));
  const identifier = keyIdentifier(spki);
  const notBefore = Math.floor(at / 1000) * 1000;
  const der = buildCertificate(
    {
      serial: randomSerial(20),
      subjectDer,
      spki,
      notBefore,
      notAfter: notBefore + validityDays * DAY,
      extensions: [
        extensions.basicConstraints(true, 0),
        extensions.keyUsage(5, 6),
        extensions.subjectKeyIdentifier(identifier),
        issuerAlternativeName(identity.issuerAlternativeName),
        extensions.crlDistributionPoints(identity.crlUrl),
      ],
    },
    { key: pair.privateKey, subjectDer, keyIdentifier: identifier },
  );
  return { certificate: parseCertificate(der), key: pair.privateKey };
}

/** The identity with its defaults applied, or IssuerConfigurationError naming the bad setting. */
export function checkIssuerIdentity(identity: IssuerIdentity): IssuerIdentity & { issuerAlternativeName: string } {
  if (!/^[A-Z]{2}$/.test(identity.country))
    throw new IssuerConfigurationError(
      'country',
      `"${identity.country}" is not an ISO 3166-1 alpha-2 code (two upper-case letters)`,
    );
  const organization = checkText('organization', identity.organization);
  const crlUrl = checkUrl('crlUrl', identity.crlUrl);
  const alternative = identity.issuerAlternativeName ?? new URL(crlUrl).origin;
  if (alternative.includes(':')) checkUrl('issuerAlternativeName', alternative);
  else if (!/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(alternative))
    throw new IssuerConfigurationError(
      'issuerAlternativeName',
      `"${alternative}" is neither a URL nor an e-mail address`,
    );
  return {
    country: identity.country,
    organization,
    ...(identity.stateOrProvince === undefined
      ? {}
      : { stateOrProvince: checkText('stateOrProvince', identity.stateOrProvince) }),
    crlUrl,
    issuerAlternativeName: alternative,
  };
}

export function checkValidityDays(days: number, maximum: number): number {
  if (!Number.isInteger(days) || days < 1 || days > maximum)
    throw new IssuerConfigurationError('validityDays', `${days} is not a whole number of days from 1 to ${maximum}`);
  return days;
}

function checkText(setting: 'organization' | 'stateOrProvince' | 'commonName', value: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 64)
    throw new IssuerConfigurationError(setting, 'must be non-empty text of at most 64 characters');
  return value;
}

function checkUrl(setting: 'crlUrl' | 'issuerAlternativeName', value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new IssuerConfigurationError(setting, `"${value}" is not a URL`);
  }
  // IA5String: the URL goes into the certificate as written, so it must be plain ASCII.
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !/^[\x21-\x7e]+$/.test(value))
    throw new IssuerConfigurationError(setting, `"${value}" is not an ASCII http(s) URL`);
  return value;
}
