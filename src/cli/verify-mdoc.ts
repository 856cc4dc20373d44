import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isBase64Url } from '../challenges/encoding.js';
import { collect, parseByteValue, parseInstant } from './byte-values.js';
import { parseInputJson, readInputFile } from './input-files.js';
import { asUsageError, UsageError } from './usage-error.js';
import { printJson } from './verify-output.js';

interface MdocFlags {
  trust: string[];
  sessionTranscript?: string;
  readerKey?: string;
  at?: number;
}

const HEX = /^([0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A file's bytes, or standard input's for `-`. */
function readBytesArgument(file: string, what: string): Buffer {
  if (file !== '-') return readInputFile(file, what);
  try {
    return readFileSync(0);
  } catch (error) {
    throw new UsageError(`cannot read ${what} from standard input: ${(error as Error).message}`);
  }
}

/**
 * CBOR given as a file: the raw bytes, or text — hex, base64 or base64url (whitespace ignored),
 * or a `hex:`, `b64:` or `b64url:` prefixed value as the byte-valued flags take. The CBOR items
 * read here (a map, an array or a tag) never start with a printable ASCII byte, so text is told
 * apart by its first byte.
 */
function readCbor(file: string, what: string): Buffer {
  const content = readBytesArgument(file, what);
  const name = file === '-' ? 'standard input' : file;
  const first = content.find((byte) => ![0x09, 0x0a, 0x0d, 0x20].includes(byte));
  if (first === undefined) throw new UsageError(`${name}: the ${what} is empty`);
  if (first < 0x21 || first > 0x7e) return content;
  const text = content.toString('utf8').replace(/\s+/g, '');
  if (/^(b64|b64url|hex):/.test(text)) {
    try {
      return parseByteValue(text);
    } catch (error) {
      throw new UsageError(`${name}: the ${what} is ${(error as Error).message}`);
    }
  }
  if (HEX.test(text)) return Buffer.from(text, 'hex');
  if (BASE64.test(text) && text.length % 4 === 0) return Buffer.from(text, 'base64');
  const unpadded = text.replace(/={1,2}$/, '');
  if (isBase64Url(unpadded) && unpadded.length % 4 !== 1) return Buffer.from(unpadded, 'base64url');
  throw new UsageError(`${name}: the ${what} is neither CBOR nor hex, base64 or base64url text`);
}

/** --reader-key: the reader's ephemeral EC private key, PEM (PKCS#8 or SEC1) or a JWK with "d". */
function readReaderKey(file: string): KeyObject {
  const text = readInputFile(file, 'reader key').toString('utf8');
  let key: KeyObject;
  try {
    if (text.trimStart().startsWith('{')) {
      const jwk = parseInputJson(text, file) as Record<string, unknown>;
      if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string')
        throw new Error('the JWK has no private key ("d")');
      key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } else {
      key = createPrivateKey(text);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file} holds no PEM or JWK private key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec') throw new UsageError(`${file}: the reader key must be an EC private key`);
  return key;
}

/** `keyward verify mdoc`: an ISO 18013-5 DeviceResponse or IssuerSigned, verified as a reader would. */
export function registerMdocVerify(verify: Command): void {
  verify
    .command('mdoc')
    .description(
      'verify an ISO 18013-5 mdoc (a DeviceResponse or an IssuerSigned) offline as a reader would — issuer signature and chain, digests, validity, device authentication — and print {verified, code, documents: [{docType, issuer, validity, namespaces, deviceAuth}]} as JSON',
    )
    .argument(
      '<file>',
      'the DeviceResponse or IssuerSigned: raw CBOR, or hex, base64 or base64url text; - for standard input',
    )
    .requiredOption(
      '--trust <pem>',
      'PEM file of IACA certificates, or document signer certificates trusted directly; each certificate is an anchor (repeatable)',
      collect,
    )
    .option(
      '--session-transcript <file>',
      'the SessionTranscript (CBOR, raw or hex/base64 text; with or without its tag-24 wrapping): deviceAuth is checked',
    )
    .option(
      '--reader-key <file>',
      "the reader's ephemeral private key (PEM PKCS#8 or SEC1, or a JWK with d): a deviceMac is checked",
    )
    .option('--at <ISO-8601>', 'verification time (default now)', parseInstant)
    .action(async (file: string, flags: MdocFlags) => {
      if (flags.readerKey && !flags.sessionTranscript) throw new UsageError('--reader-key needs --session-transcript');
      const [{ configuredAnchors }, { TrustAnchors }, { mdocVerificationResult }, { mdocNamespacesToJson }] =
        await Promise.all([
          import('../config/trust-anchors.js'),
          import('../crypto/x509/chain.js'),
          import('../attestation/mdoc/verify.js'),
          import('../attestation/mdoc/json-values.js'),
        ]);
      const anchors = new TrustAnchors(asUsageError(() => configuredAnchors(flags.trust, '--trust')));
      const bytes = readCbor(file, 'mdoc');
      const sessionTranscript = flags.sessionTranscript
        ? readCbor(flags.sessionTranscript, 'session transcript')
        : undefined;
      const readerKey = flags.readerKey ? readReaderKey(flags.readerKey) : undefined;

      const result = mdocVerificationResult(bytes, {
        anchors,
        at: flags.at ?? Date.now(),
        ...(sessionTranscript ? { sessionTranscript } : {}),
        ...(readerKey ? { readerKey } : {}),
      });
      if (!result.verified) {
        printJson({
          verified: false,
          code: result.code,
          category: result.category,
          message: result.message,
          ...(result.detail ? { detail: result.detail } : {}),
          documents: [],
        });
        process.exitCode = 1;
        return;
      }
      printJson({
        verified: true,
        code: null,
        documents: result.documents.map((document) => ({
          docType: document.docType,
          issuer: document.issuer,
          validity: document.validity,
          digestAlgorithm: document.digestAlgorithm,
          namespaces: mdocNamespacesToJson(document.namespaces),
          ...(document.deviceNamespaces ? { deviceNamespaces: mdocNamespacesToJson(document.deviceNamespaces) } : {}),
          deviceAuth: document.deviceAuth,
        })),
      });
      process.exitCode = 0;
    });
}
