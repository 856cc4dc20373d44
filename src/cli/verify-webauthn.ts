import { statSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { MetadataLookup, WebAuthnRegistrationResult } from '../attestation/webauthn/types.js';
import { isBase64Url } from '../challenges/encoding.js';
import { systemClock } from '../clock.js';
import { type AnchoredFormat, COSE_ALGORITHM_IDS, EXTRA_ROOT_OPTIONS } from '../config/fido2.js';
import { isKeywardError } from '../errors.js';
import { collect, parseByteValue, parseInstant } from './byte-values.js';
import { readInputJson, readInputText } from './input-files.js';
import { UsageError, asUsageError } from './usage-error.js';
import { printJson } from './verify-output.js';

const MODES = ['monitor', 'enforced', 'disabled'] as const;

/** Days past its nextUpdate a BLOB given with --mds is still trusted (fido2.mds.graceDays' default). */
const BLOB_GRACE_DAYS = 7;

interface WebAuthnFlags {
  rpId: string;
  origin: string[];
  challenge: Buffer;
  at?: number;
  mds?: string[];
  mdsRoot?: string[];
  crl?: string[];
  mode: (typeof MODES)[number];
  root?: { fmt: AnchoredFormat; file: string }[];
  revocation: boolean;
  revocationList?: string;
  cts: boolean;
  trustSimulatorRoots?: boolean;
}

/**
 * --challenge: the b64:, b64url:, hex: and utf8: notation of the other verify commands, except
 * that an unprefixed value is base64url, as the challenge appears in clientDataJSON.
 */
export function parseChallenge(text: string): Buffer {
  if (/^(b64|b64url|hex|utf8):/.test(text)) return parseByteValue(text);
  const value = text.replace(/={1,2}$/, '');
  if (!isBase64Url(value))
    throw new InvalidArgumentError(
      'not base64url (unprefixed, the challenge is read as in clientDataJSON; use b64:, hex: or utf8: for other notations)',
    );
  return Buffer.from(value, 'base64url');
}

function parseRoot(text: string, previous: { fmt: AnchoredFormat; file: string }[] = []) {
  const equals = text.indexOf('=');
  const fmt = text.slice(0, Math.max(equals, 0));
  if (equals < 1 || !(fmt in EXTRA_ROOT_OPTIONS) || equals === text.length - 1)
    throw new InvalidArgumentError(
      `expected <format>=<pem file>, the format one of ${Object.keys(EXTRA_ROOT_OPTIONS).join(', ')}`,
    );
  return [...previous, { fmt: fmt as AnchoredFormat, file: text.slice(equals + 1) }];
}

function parseRpId(text: string): string {
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(text))
    throw new InvalidArgumentError('not a domain name');
  return text.toLowerCase();
}

/** `keyward verify webauthn`: a WebAuthn registration response, verified offline as the relying party would. */
export function registerWebAuthnVerify(verify: Command): void {
  verify
    .command('webauthn')
    .description(
      'verify a WebAuthn registration response (PublicKeyCredential.toJSON() or the FIDO conformance shape) offline and print {verified, fmt, attestationType, trust, aaguid, metadata, warnings} as JSON',
    )
    .argument('<registration.json>', 'the registration response as JSON')
    .requiredOption('--rp-id <domain>', 'the relying party ID the credential must be for', parseRpId)
    .requiredOption('--origin <origin>', 'an origin the ceremony may come from (repeatable)', collect)
    .requiredOption(
      '--challenge <value>',
      'the challenge issued: base64url as in clientDataJSON, or b64:, b64url:, hex: or utf8:',
      parseChallenge,
    )
    .option('--at <ISO-8601>', 'verification time (default now)', parseInstant)
    .option(
      '--mds <blob.jwt|folder>',
      'metadata: an MDS3 BLOB file (verified against GlobalSign Root CA - R3 and --mds-root) or a folder of metadata statements (*.json); at most one of each',
      collect,
    )
    .option('--mds-root <pem>', 'PEM file of a further root the BLOB may chain to (repeatable)', collect)
    .option(
      '--crl <file>',
      "CRL file (DER or PEM) for the BLOB's chain (repeatable); every CRL of the chain is then required. Without: CRLs are not checked (nothing is fetched)",
      collect,
    )
    .addOption(new Option('--mode <mode>', 'attestation mode').choices(MODES).default('monitor'))
    .option(
      '--root <format=pem>',
      `PEM file of a root trusted for a format's attestations (${Object.keys(EXTRA_ROOT_OPTIONS).join(', ')}; repeatable)`,
      parseRoot,
    )
    .option(
      '--revocation-list <file>',
      "android-key: check revocation against this copy of Google's status list instead of fetching it",
    )
    .addOption(new Option('--no-revocation', 'android-key: do not check revocation'))
    .addOption(new Option('--no-cts', 'android-safetynet: accept responses whose ctsProfileMatch is false'))
    .option('--trust-simulator-roots', "trust the Keyward simulator's published test roots (never in production)")
    .action(async (file: string, flags: WebAuthnFlags) => {
      const json = readInputJson(file, 'registration response');
      if (!flags.revocation && flags.revocationList)
        throw new UsageError('--revocation-list contradicts --no-revocation');
      const at = flags.at ?? systemClock.now();
      const warnings: string[] = [];
      const metadata = await loadMetadata(flags, at, warnings);
      const { verifier, simulatorTrust } = await buildVerifier(flags, metadata);
      const [{ parseRegistrationResponse }, { endsAt }] = await Promise.all([
        import('../attestation/webauthn/response-json.js'),
        import('../features/fido2/fido2-verifier.js'),
      ]);

      let result: WebAuthnRegistrationResult;
      try {
        const response = parseRegistrationResponse(json);
        result = await verifier.verifyRegistration(
          response,
          {
            challenge: flags.challenge,
            origins: flags.origin,
            rpId: flags.rpId,
            requireUserPresence: true,
            requireUserVerification: false,
            // An offline check accepts every algorithm Keyward verifies, RS1 (old TPMs) included.
            algorithms: Object.values(COSE_ALGORITHM_IDS),
          },
          at,
        );
      } catch (error) {
        if (!isKeywardError(error)) throw error;
        printJson({
          verified: false,
          category: error.category,
          code: error.code,
          message: error.message,
          ...(error.detail ? { detail: error.detail } : {}),
          ...(await describeResponse(json)),
          warnings,
        });
        process.exitCode = 1;
        return;
      }
      if (simulatorTrust && endsAt(simulatorTrust, result.trustPath))
        warnings.push(
          'Attested by a SIMULATED authenticator: its chain ends at a Keyward simulator test root (--trust-simulator-roots)',
        );
      printJson({
        verified: true,
        fmt: result.fmt,
        attestationType: result.attestationType,
        trust: result.trust,
        ...(result.anchor ? { anchor: result.anchor } : {}),
        aaguid: result.aaguid,
        metadata: result.metadata,
        warnings: [...result.warnings, ...warnings],
        credentialId: Buffer.from(result.credentialId).toString('base64url'),
        publicKeyAlgorithm: result.publicKey.alg,
        counter: result.counter,
        userVerified: result.userVerified,
        backupEligible: result.backupEligible,
        backedUp: result.backedUp,
        ...(Object.keys(result.facts).length > 0 ? { facts: result.facts } : {}),
      });
      process.exitCode = 0;
    });
}

/** The WebAuthn verifier fido2.* would build with these flags (the server's builder), and the simulator's roots when trusted. */
async function buildVerifier(flags: WebAuthnFlags, metadata: MetadataLookup | undefined) {
  const [{ loadConfig }, { androidVerifierFromConfig }, { webauthnVerifierFromConfig }, { configuredAnchors }] =
    await Promise.all([
      import('../config/load.js'),
      import('../config/android-verifier.js'),
      import('../features/fido2/fido2-verifier.js'),
      import('../config/trust-anchors.js'),
    ]);
  const roots = flags.root ?? [];
  // Named after the flag rather than the option it sets.
  for (const { fmt, file } of roots) asUsageError(() => configuredAnchors([file], `--root ${fmt}`));
  const extraRootFiles: Record<string, string[]> = {};
  for (const { fmt, file } of roots) (extraRootFiles[EXTRA_ROOT_OPTIONS[fmt]] ??= []).push(file);
  // Configuration mistakes (a status list that does not read) are ConfigErrors: exit 2.
  const { config } = loadConfig({
    env: {},
    flags: {
      'fido2.attestationMode': flags.mode,
      'fido2.safetynet.requireCtsProfileMatch': flags.cts,
      ...(roots.length > 0 ? { 'fido2.extraRootFiles': extraRootFiles } : {}),
      ...(flags.revocation ? {} : { 'android.revocation.enabled': false }),
      ...(flags.revocation && flags.revocationList ? { 'android.revocation.file': flags.revocationList } : {}),
    },
  });
  let simulator: { android: import('../crypto/x509/chain.js').TrustAnchor[] } | undefined;
  let simulatorAnchors:
    | ReturnType<typeof import('../simulator/webauthn/roots.js').webauthnSimulatorAnchors>
    | undefined;
  if (flags.trustSimulatorRoots) {
    const [{ simulatorAnchors: androidSimulator }, { webauthnSimulatorAnchors }] = await Promise.all([
      import('../simulator/roots.js'),
      import('../simulator/webauthn/roots.js'),
    ]);
    simulator = androidSimulator();
    simulatorAnchors = webauthnSimulatorAnchors();
  }
  const android = androidVerifierFromConfig(config.android, {
    clock: systemClock,
    ...(simulator ? { extraAnchors: simulator.android } : {}),
  });
  const verifier = webauthnVerifierFromConfig(config.fido2, {
    mode: flags.mode,
    android,
    androidPolicy: config.android.policy,
    ...(metadata ? { metadata: () => metadata } : {}),
    ...(simulatorAnchors ? { simulatorAnchors } : {}),
  });
  const { TrustAnchors } = await import('../crypto/x509/chain.js');
  const simulatorTrust = simulatorAnchors && new TrustAnchors(Object.values(simulatorAnchors).flat());
  return { verifier, simulatorTrust };
}

/**
 * --mds: a BLOB (verified at `at`: a BLOB that does not verify is a usage error, exit 2) and/or a
 * folder of metadata statements (a file that is not one is skipped with a warning), indexed
 * together, the folder overriding the BLOB for the same authenticator.
 */
async function loadMetadata(flags: WebAuthnFlags, at: number, warnings: string[]): Promise<MetadataLookup | undefined> {
  const paths = flags.mds ?? [];
  const folders = paths.filter((path) => isDirectory(path));
  const blobs = paths.filter((path) => !folders.includes(path));
  if (folders.length > 1 || blobs.length > 1)
    throw new UsageError('--mds takes at most one BLOB file and one metadata folder');
  const blobFile = blobs[0];
  if (!blobFile && (flags.mdsRoot || flags.crl))
    throw new UsageError('--mds-root and --crl apply to a BLOB given with --mds');
  if (paths.length === 0) return undefined;

  const { MetadataIndex } = await import('../attestation/webauthn/metadata/index.js');
  const mds = blobFile ? await verifiedBlobEntries(blobFile, flags, at, warnings) : [];
  let local: import('../attestation/webauthn/types.js').MetadataEntry[] = [];
  const folder = folders[0];
  if (folder) {
    const { loadMetadataFolder } = await import('../features/fido2/metadata-folder.js');
    const loaded = asUsageError(() => loadMetadataFolder(folder));
    for (const skipped of loaded.skipped)
      warnings.push(`Metadata statement ${skipped.file} skipped (${skipped.code}: ${skipped.message})`);
    local = loaded.entries;
  }
  return MetadataIndex.from(mds, local);
}

async function verifiedBlobEntries(file: string, flags: WebAuthnFlags, at: number, warnings: string[]) {
  const jwt = readInputText(file, 'metadata BLOB').trim();
  const [{ verifyMetadataBlob }, { metadataAnchors }, { crlSourceFactory, readCrlFiles }] = await Promise.all([
    import('../attestation/webauthn/metadata/blob.js'),
    import('../features/fido2/metadata-from-config.js'),
    import('../features/fido2/metadata-crls.js'),
  ]);
  const anchors = asUsageError(() => metadataAnchors({ rootFiles: flags.mdsRoot ?? [] }, '--mds-root'));
  const crlFiles = asUsageError(() => readCrlFiles(flags.crl ?? []));
  // Offline: CRLs come only from --crl files, and are then all required.
  const crls = crlSourceFactory({ files: crlFiles })();
  try {
    const blob = await verifyMetadataBlob(jwt, {
      anchors,
      at,
      crls,
      crlCheck: crlFiles.length > 0 ? 'required' : 'off',
      graceDays: BLOB_GRACE_DAYS,
    });
    if (blob.warnings.length > 0)
      warnings.push(
        `Metadata BLOB ${file} (no ${blob.no}): ${blob.warnings.length} note(s) while reading it, e.g. ${blob.warnings[0]}`,
      );
    return blob.entries;
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    throw new UsageError(
      `--mds ${file}: the metadata BLOB does not verify at ${new Date(at).toISOString()}: ${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ''}`,
    );
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (error) {
    throw new UsageError(`cannot read --mds ${path}: ${(error as Error).message}`);
  }
}

/** What a rejected response still tells, when it decodes: its format and AAGUID. */
async function describeResponse(json: unknown): Promise<{ fmt?: string; aaguid?: string }> {
  try {
    const [{ parseRegistrationResponse }, { decodeAttestationObject }, { formatAaguid }] = await Promise.all([
      import('../attestation/webauthn/response-json.js'),
      import('../attestation/webauthn/attestation-object.js'),
      import('../attestation/webauthn/verify-registration.js'),
    ]);
    const object = decodeAttestationObject(parseRegistrationResponse(json).attestationObject);
    return { fmt: object.fmt, aaguid: formatAaguid(object.authData.attested.aaguid) };
  } catch {
    return {};
  }
}
