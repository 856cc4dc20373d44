import { createHash, type KeyObject } from 'node:crypto';
import type { TrustAnchors } from '../../crypto/x509/chain.js';
import { type ErrorCategory, type ErrorCode, isKeywardError, timeError, trustError } from '../../errors.js';
import {
  type DeviceAuthMethod,
  readSessionTranscript,
  type SessionTranscript,
  verifyDeviceAuth,
} from './device-auth.js';
import { DEFAULT_MDOC_LIMITS, type MdocLimits, type ParsedDocument, parseMdoc } from './documents.js';
import { verifyIssuerAuth } from './issuer-auth.js';
import { type MobileSecurityObject, parseMso } from './mso.js';
import { contentError } from '../../errors.js';
import { sameBytes } from '../../crypto/bytes.js';

/**
 * Reader-side verification of ISO 18013-5 mdocs (§9.3.1): a DeviceResponse, or an IssuerSigned.
 * Per document: issuerAuth and its chain to a trusted certificate at `at`, the MSO (version,
 * digest algorithm, docType), every IssuerSignedItemBytes digest (over the exact bytes
 * received), the validity period, and — given the session transcript — deviceAuth: the
 * deviceSignature with the MSO device key, or the deviceMac when the reader's ephemeral private
 * key is given. Any failure throws a KeywardError with an MDOC_* code.
 */

export interface VerifyMdocOptions {
  /** IACA roots, or document signer certificates trusted directly. */
  anchors: TrustAnchors;
  /** Verification time, epoch ms. */
  at: number;
  /** SessionTranscript or SessionTranscriptBytes (tag 24): without it, deviceAuth is not checked. */
  sessionTranscript?: Uint8Array;
  /** The reader's ephemeral private key (EReaderKey): needed to check a deviceMac. */
  readerKey?: KeyObject;
  limits?: Partial<MdocLimits>;
}

/**
 * How deviceAuth came out: verified by signature or MAC; `not-checked` when no session
 * transcript (or, for a MAC, no reader key) was given; `absent` for a bare IssuerSigned.
 */
export type DeviceAuthResult = DeviceAuthMethod | 'not-checked' | 'absent';

export interface VerifiedMdocDocument {
  docType: string;
  /** The document signer certificate subject. */
  issuer: string;
  validity: { signed: string; validFrom: string; validUntil: string; expectedUpdate?: string };
  digestAlgorithm: string;
  /** Issuer-signed data elements, namespace → element → value (as cbor2 decodes it: Tag, Map, Uint8Array…). */
  namespaces: Record<string, Record<string, unknown>>;
  /** Device-signed data elements, when the device sent any. */
  deviceNamespaces?: Record<string, Record<string, unknown>>;
  deviceAuth: DeviceAuthResult;
}

export interface MdocVerification {
  verified: true;
  code: null;
  documents: VerifiedMdocDocument[];
}

export interface MdocRejection {
  verified: false;
  code: ErrorCode;
  category: ErrorCategory;
  message: string;
  detail?: string;
  documents: [];
}

/** Verifies every document of `bytes`; throws a KeywardError (MDOC_* codes) on the first failure. */
export function verifyMdoc(bytes: Uint8Array, options: VerifyMdocOptions): MdocVerification {
  const limits = { ...DEFAULT_MDOC_LIMITS, ...options.limits };
  const transcript = options.sessionTranscript ? readSessionTranscript(options.sessionTranscript) : undefined;
  const documents = parseMdoc(bytes, limits).map((document) => verifyDocument(document, options, limits, transcript));
  return { verified: true, code: null, documents };
}

/** verifyMdoc as a result: rejections (KeywardErrors) come back as `{verified: false, code, …}`. */
export function mdocVerificationResult(
  bytes: Uint8Array,
  options: VerifyMdocOptions,
): MdocVerification | MdocRejection {
  try {
    return verifyMdoc(bytes, options);
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    const rejection: MdocRejection = {
      verified: false,
      code: error.code,
      category: error.category,
      message: error.message,
      documents: [],
    };
    if (error.detail) rejection.detail = error.detail;
    return rejection;
  }
}

function verifyDocument(
  document: ParsedDocument,
  options: VerifyMdocOptions,
  limits: MdocLimits,
  transcript: SessionTranscript | undefined,
): VerifiedMdocDocument {
  const issuerAuth = verifyIssuerAuth(document.issuerSigned.issuerAuth, options.anchors, options.at);
  const mso = parseMso(issuerAuth.payload, limits.maxDepth);
  const docType = document.docType ?? mso.docType;
  if (mso.docType !== docType) {
    throw contentError('MDOC_DOCTYPE_MISMATCH', "The MSO docType is not the document's.", {
      detail: `document ${docType}, MSO ${mso.docType}`,
    });
  }
  const namespaces = checkDigests(document, mso);
  checkValidity(mso, options.at);
  let deviceAuth: DeviceAuthResult = 'absent';
  if (document.deviceSigned) {
    const signed = document.deviceSigned;
    const canCheck = transcript && (signed.deviceSignature !== undefined || options.readerKey);
    deviceAuth = canCheck
      ? verifyDeviceAuth(signed, docType, mso.deviceKey, transcript, options.readerKey)
      : 'not-checked';
  }
  const { validityInfo } = mso;
  const iso = (time: number) => new Date(time).toISOString();
  const verified: VerifiedMdocDocument = {
    docType,
    issuer: issuerAuth.signer.subject,
    validity: {
      signed: iso(validityInfo.signed),
      validFrom: iso(validityInfo.validFrom),
      validUntil: iso(validityInfo.validUntil),
    },
    digestAlgorithm: mso.digestAlgorithm,
    namespaces,
    deviceAuth,
  };
  if (validityInfo.expectedUpdate !== undefined) verified.validity.expectedUpdate = iso(validityInfo.expectedUpdate);
  const deviceNamespaces = document.deviceSigned?.nameSpaces.value as Map<string, Map<string, unknown>> | undefined;
  if (deviceNamespaces && deviceNamespaces.size > 0) {
    verified.deviceNamespaces = Object.fromEntries(
      [...deviceNamespaces].map(([namespace, elements]) => [namespace, Object.fromEntries(elements)]),
    );
  }
  return verified;
}

/** Every item's digest against the MSO; the items' values by namespace. */
function checkDigests(document: ParsedDocument, mso: MobileSecurityObject): Record<string, Record<string, unknown>> {
  const namespaces: [string, Record<string, unknown>][] = [];
  for (const [namespace, items] of document.issuerSigned.nameSpaces) {
    const digests = mso.valueDigests.get(namespace);
    const elements: [string, unknown][] = [];
    for (const item of items) {
      const expected = digests?.get(item.digestID);
      if (!expected) {
        throw trustError('MDOC_DIGEST_MISSING', 'A data element is not signed by the issuer.', {
          detail: `${namespace} ${item.elementIdentifier}: no digest ${item.digestID} in the MSO`,
        });
      }
      const actual = createHash(mso.hash).update(item.taggedBytes).digest();
      if (!sameBytes(actual, expected)) {
        throw trustError('MDOC_DIGEST_MISMATCH', 'A data element does not match its issuer-signed digest.', {
          detail: `${namespace} ${item.elementIdentifier} (digestID ${item.digestID})`,
        });
      }
      elements.push([item.elementIdentifier, item.elementValue]);
    }
    // Object.fromEntries defines own properties: an element named __proto__ stays data.
    namespaces.push([namespace, Object.fromEntries(elements)]);
  }
  return Object.fromEntries(namespaces);
}

function checkValidity(mso: MobileSecurityObject, at: number): void {
  const { validFrom, validUntil } = mso.validityInfo;
  if (at < validFrom) {
    throw timeError('MDOC_NOT_YET_VALID', 'The mdoc is not valid yet.', {
      detail: `valid from ${new Date(validFrom).toISOString()}`,
    });
  }
  if (at > validUntil) {
    throw timeError('MDOC_EXPIRED', 'The mdoc has expired.', {
      detail: `valid until ${new Date(validUntil).toISOString()}`,
    });
  }
}
