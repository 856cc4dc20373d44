import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { jwkThumbprint } from '../crypto/jose/jwk.js';
import { isKeywardError, type KeywardError } from '../errors.js';
import { parseInputJson, readInputText } from './input-files.js';
import { UsageError } from './usage-error.js';

/** What the `keyward dsr` commands read and share: files, keys, bundle data, JWKS. */

export const SLOTS = ['active', 'simulation'] as const;
export const JWKS_TIMEOUT_MS = 10_000;
export const PUSH_TIMEOUT_MS = 30_000;
export const PIP_KINDS = ['blockedIps', 'blockedUsers', 'allowedCountries', 'torExitNodes'] as const;
export type PipKind = (typeof PIP_KINDS)[number];

export function parseVersion(text: string): number {
  const version = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(version))
    throw new InvalidArgumentError('must be a non-negative integer');
  return version;
}

export function parsePip(text: string, previous: { kind: PipKind; file: string }[] = []) {
  const equals = text.indexOf('=');
  const kind = text.slice(0, Math.max(equals, 0)) as PipKind;
  if (equals < 1 || !PIP_KINDS.includes(kind) || equals === text.length - 1)
    throw new InvalidArgumentError(`expected <kind>=<file>, the kind one of ${PIP_KINDS.join(', ')}`);
  return [...previous, { kind, file: text.slice(equals + 1) }];
}

/** A file's text, or standard input for `-`. */
export function readTextArgument(file: string, what: string): string {
  if (file !== '-') return readInputText(file, what);
  try {
    return readFileSync(0, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} from standard input: ${(error as Error).message}`);
  }
}

/** The JSON of a rejection: category, code, message and detail of a KeywardError. */
export const rejection = (error: KeywardError) => ({
  code: error.code,
  category: error.category,
  message: error.message,
  ...(error.detail ? { detail: error.detail } : {}),
});

// ---------------------------------------------------------------------------------------------
// Keys

/** An administration public key (PEM SPKI, or a private key whose public half is taken) and its kid (RFC 7638 thumbprint). */
export function readAdminPublicKey(file: string): { kid: string; key: KeyObject } {
  const text = readInputText(file, 'administration key');
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (error) {
    throw new UsageError(`${file} is not a PEM public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new UsageError(`${file}: an administration key must be EC P-256`);
  return { kid: kidOf(key), key };
}

export function adminKeys(files: string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const file of files) {
    const { kid, key } = readAdminPublicKey(file);
    keys.set(kid, key);
  }
  return keys;
}

/** A bundle's kid: the RFC 7638 thumbprint of the administration public key. */
export function kidOf(publicKey: KeyObject): string {
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' }) as JsonWebKey;
  return jwkThumbprint({ kty, crv, x, y });
}

// ---------------------------------------------------------------------------------------------
// Bundle data

/**
 * --data: a JSON file with some of android_data, ios_data, security_data (the bundle's layout),
 * or a directory laid out as the reference OPA bundle (<section>/data.json, and
 * security_data/torExitNodes/data.json).
 */
export function readDataSections(path: string): Record<string, unknown> {
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
  } catch (error) {
    throw new UsageError(`cannot read --data ${path}: ${(error as Error).message}`);
  }
  if (!directory) {
    const data = parseInputJson(readInputText(path, 'policy data'), path);
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new UsageError(`${path}: the policy data must be a JSON object`);
    const unknown = Object.keys(data).filter((key) => !['android_data', 'ios_data', 'security_data'].includes(key));
    if (unknown.length > 0)
      throw new UsageError(
        `${path}: unknown data sections ${unknown.slice(0, 5).join(', ')} (expected android_data, ios_data, security_data)`,
      );
    return data as Record<string, unknown>;
  }
  const sections: Record<string, unknown> = {};
  const optional = (file: string) => {
    try {
      statSync(file);
    } catch {
      return undefined;
    }
    return parseInputJson(readInputText(file, 'policy data'), file);
  };
  for (const section of ['android_data', 'ios_data', 'security_data']) {
    const value = optional(join(path, section, 'data.json'));
    if (value !== undefined) sections[section] = value;
  }
  const tor = optional(join(path, 'security_data', 'torExitNodes', 'data.json'));
  if (tor !== undefined) sections.security_data = { ...(sections.security_data as object), torExitNodes: tor };
  if (Object.keys(sections).length === 0)
    throw new UsageError(`${path}: no android_data, ios_data or security_data/data.json in the directory`);
  return sections;
}

// ---------------------------------------------------------------------------------------------

/** Runs `build`; a KeywardError (the given input is refused) becomes a UsageError naming its code: exit 2. */
export function keywardUsage<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    throw new UsageError(`${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ''}`);
  }
}

export async function verifiedBundleOrUsage(file: string, keys: Map<string, KeyObject>) {
  const jws = readInputText(file, 'policy bundle');
  const { verifyBundle } = await import('../features/dsr/bundles/bundle.js');
  try {
    return verifyBundle(jws, { keys });
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    throw new UsageError(
      `--bundle ${file} does not verify: ${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ''}`,
    );
  }
}

/** Sizes of a bundle's lists, for display. */
export function dataSummary(data: import('../features/dsr/pdp/context.js').PdpData) {
  const count = (list: unknown) => (Array.isArray(list) ? list.length : 0);
  return {
    allowedApplications: count(data.android_data?.allowedApplications),
    allowedBuildModel: count(data.android_data?.allowedBuildModel),
    allowedSystemModels: count(data.ios_data?.allowedSystemModels),
    blocklistClientIPs: count(data.security_data?.blocklistClientIPs),
    blocklistUserIdentifier: count(data.security_data?.blocklistUserIdentifier),
    allowedCountryCodes: count(data.security_data?.allowedCountryCodes),
    torExitNodes: count(data.security_data?.torExitNodes),
  };
}

/** --cert: one certificate, PEM (the first block) or DER. */
export async function readCertificate(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read client certificate ${file}: ${(error as Error).message}`);
  }
  const { pemCertificates, parseCertificate } = await import('../crypto/x509/certificate.js');
  const text = bytes.toString('latin1');
  const der = text.includes('-----BEGIN CERTIFICATE-----') ? pemCertificates(text)[0] : bytes;
  if (!der) throw new UsageError(`${file}: no PEM CERTIFICATE block`);
  try {
    parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: false });
  } catch (error) {
    throw new UsageError(`${file} is not a certificate: ${(error as Error).message}`);
  }
  return der;
}

export const causeText = (error: unknown): string => {
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  const message = (error as Error).message ?? String(error);
  return cause?.message ? `${message} (${cause.code ?? cause.message})` : message;
};

/** GET a JWKS with a timeout; a failure exits 1 with the reason (the token is neither verified nor refused). */
export async function fetchJwks(url: string): Promise<unknown> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new UsageError(`--url ${url} is not an http(s) URL`);
  let response: Response;
  try {
    response = await fetch(target, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(`fetching the JWKS from ${target.href} failed: ${causeText(error)}`);
  }
  if (!response.ok) throw new Error(`fetching the JWKS from ${target.href}: HTTP ${response.status}`);
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`the JWKS at ${target.href} is not JSON: ${(error as Error).message}`);
  }
}
