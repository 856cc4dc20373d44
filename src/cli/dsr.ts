import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { systemClock } from '../clock.js';
import { jwkThumbprint } from '../crypto/jose/jwk.js';
import { isKeywardError, type KeywardError } from '../errors.js';
import { collect, parseInstant } from './byte-values.js';
import { parseInputJson, readInputText } from './input-files.js';
import { registerDsrKeys } from './dsr-keys.js';
import { UsageError } from './usage-error.js';
import { printJson } from './verify-output.js';

/**
 * `keyward dsr …`: the gematik DSR tools that work offline or against a running Keyward.
 * - `verify-token` checks a device token (signature by a GMS key from a JWKS, times, cnf binding);
 * - `decide` evaluates a PDP input with the default or a signed bundle's policies and data;
 * - `bundle sign|verify|push|keygen` make, check and install signed policy bundles.
 * Exit codes as `keyward verify`: 0 verified (allowed, valid, accepted), 1 rejected (denied,
 * invalid, refused by the server), 2 usage error.
 */

const SLOTS = ['active', 'simulation'] as const;
const JWKS_TIMEOUT_MS = 10_000;
const PUSH_TIMEOUT_MS = 30_000;
const PIP_KINDS = ['blockedIps', 'blockedUsers', 'allowedCountries', 'torExitNodes'] as const;
type PipKind = (typeof PIP_KINDS)[number];

function parseVersion(text: string): number {
  const version = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(version))
    throw new InvalidArgumentError('must be a non-negative integer');
  return version;
}

function parsePip(text: string, previous: { kind: PipKind; file: string }[] = []) {
  const equals = text.indexOf('=');
  const kind = text.slice(0, Math.max(equals, 0)) as PipKind;
  if (equals < 1 || !PIP_KINDS.includes(kind) || equals === text.length - 1)
    throw new InvalidArgumentError(`expected <kind>=<file>, the kind one of ${PIP_KINDS.join(', ')}`);
  return [...previous, { kind, file: text.slice(equals + 1) }];
}

/** A file's text, or standard input for `-`. */
function readTextArgument(file: string, what: string): string {
  if (file !== '-') return readInputText(file, what);
  try {
    return readFileSync(0, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} from standard input: ${(error as Error).message}`);
  }
}

/** The JSON of a rejection: category, code, message and detail of a KeywardError. */
const rejection = (error: KeywardError) => ({
  code: error.code,
  category: error.category,
  message: error.message,
  ...(error.detail ? { detail: error.detail } : {}),
});

// ---------------------------------------------------------------------------------------------
// Keys

/** An administration public key (PEM SPKI, or a private key whose public half is taken) and its kid (RFC 7638 thumbprint). */
function readAdminPublicKey(file: string): { kid: string; key: KeyObject } {
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

function adminKeys(files: string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const file of files) {
    const { kid, key } = readAdminPublicKey(file);
    keys.set(kid, key);
  }
  return keys;
}

/** A bundle's kid: the RFC 7638 thumbprint of the administration public key. */
function kidOf(publicKey: KeyObject): string {
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
function readDataSections(path: string): Record<string, unknown> {
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

export function registerDsr(program: Command): void {
  const dsr = program
    .command('dsr')
    .description(
      'gematik DSR (zero-trust resource access): check device tokens, evaluate PDP inputs, manage signed policy bundles and signing keys',
    );
  registerDsrKeys(dsr);

  dsr
    .command('verify-token')
    .description(
      'verify a DSR device token offline (ES256 signature by a GMS key from a JWKS, iss, exp/iat/nbf, and with --cert the cnf x5t#S256 binding) and print {verified, code, claims, bound} as JSON; claims are unverified when verified is false (exit 0 verified, 1 rejected)',
    )
    .argument('<token|->', 'the device token (compact JWS), or - to read it from standard input')
    .option('--jwks <file>', 'JWKS file of the GMS signing keys')
    .option('--url <url>', 'URL of the GMS JWKS to fetch (e.g. https://keyward.example/dsr/jwks.json)')
    .option(
      '--cert <file>',
      'client certificate (PEM or DER) the token is presented with: the token must be bound to it',
    )
    .option('--at <ISO-8601>', 'verification time (default now)', parseInstant)
    .option('--issuer <iss>', 'accepted iss (repeatable; default any)', collect)
    .action(
      async (
        tokenArgument: string,
        flags: { jwks?: string; url?: string; cert?: string; at?: number; issuer?: string[] },
      ) => {
        if ((flags.jwks === undefined) === (flags.url === undefined))
          throw new UsageError('give exactly one of --jwks <file> and --url <url>');
        const token = (tokenArgument === '-' ? readTextArgument('-', 'device token') : tokenArgument).trim();
        const certificate = flags.cert === undefined ? undefined : await readCertificate(flags.cert);
        const jwks = flags.jwks
          ? parseInputJson(readInputText(flags.jwks, 'JWKS'), flags.jwks)
          : await fetchJwks(flags.url!);
        const [{ keysFromJwks }, { verifyDeviceToken }, { decodeCompactJws }] = await Promise.all([
          import('../crypto/jose/es256-keys.js'),
          import('../features/dsr/device-token.js'),
          import('../crypto/jose/compact-jws.js'),
        ]);
        let keys: Map<string, KeyObject>;
        try {
          keys = keysFromJwks(jwks as { keys?: unknown });
        } catch (error) {
          throw new UsageError(`${flags.jwks ?? flags.url}: ${(error as Error).message}`);
        }
        if (keys.size === 0)
          throw new UsageError(`${flags.jwks ?? flags.url}: the JWKS holds no EC P-256 key with a kid`);

        const at = flags.at ?? systemClock.now();
        try {
          const verified = verifyDeviceToken(
            token,
            { keys, ...(flags.issuer ? { issuers: flags.issuer } : {}) },
            at,
            certificate ? { clientCertificate: certificate } : {},
          );
          if (certificate && !verified.bound) {
            printJson({
              verified: false,
              code: 'DSR_TOKEN_UNBOUND',
              category: 'TRUST',
              message: 'The device token is not bound to the presented client certificate.',
              detail: 'cnf x5t#S256 names another certificate',
              claims: verified.claims,
              bound: false,
              kid: verified.kid,
            });
            process.exitCode = 1;
            return;
          }
          printJson({
            verified: true,
            code: null,
            claims: verified.claims,
            bound: certificate ? verified.bound : null,
            kid: verified.kid,
            expiresAt: new Date(verified.claims.exp * 1000).toISOString(),
          });
          process.exitCode = 0;
        } catch (error) {
          if (!isKeywardError(error)) throw error;
          let claims: unknown = null;
          try {
            claims = decodeCompactJws(token).payload;
          } catch {
            // Not decodable: no claims to show.
          }
          printJson({ verified: false, ...rejection(error), claims, bound: certificate ? false : null });
          process.exitCode = 1;
        }
      },
    );

  dsr
    .command('decide')
    .description(
      'evaluate a PDP input ({request, deviceTokenValid, deviceTokenPayload}) offline with the default policies and data, or a signed bundle, and print the verdict {allow, device, security} as JSON (exit 0 allowed, 1 denied)',
    )
    .requiredOption('--input <file|->', 'the PDP input as JSON (- for standard input)')
    .option(
      '--data <file|dir>',
      "data replacing the bundle's sections: JSON with android_data, ios_data and/or security_data, or a directory laid out as the reference OPA bundle",
    )
    .option('--bundle <file>', 'a signed policy bundle (compact JWS) to evaluate instead of the defaults')
    .option('--key <pem>', 'administration public key the bundle must be signed with (repeatable)', collect)
    .option(
      '--explain',
      'print {verdict, denied, errors, bundle} instead: the forbids that denied and evaluation errors',
    )
    .action(async (flags: { input: string; data?: string; bundle?: string; key?: string[]; explain?: boolean }) => {
      if (flags.key && !flags.bundle) throw new UsageError('--key applies to a bundle given with --bundle');
      if (flags.bundle && !flags.key) throw new UsageError('--bundle needs the administration key(s): --key <pem>');
      const input = parseInputJson(readTextArgument(flags.input, 'PDP input'), flags.input);
      const [{ compilePolicies, decide }, { preparePdpData, PdpDataError }, { defaultBundlePayload }] =
        await Promise.all([
          import('../features/dsr/pdp/decide.js'),
          import('../features/dsr/pdp/context.js'),
          import('../features/dsr/defaults.js'),
        ]);

      let payload: { version: number; policies: string; data: object };
      let kid: string | null = null;
      if (flags.bundle) {
        const bundle = await verifiedBundleOrUsage(flags.bundle, adminKeys(flags.key!));
        payload = bundle.payload;
        kid = bundle.kid;
      } else {
        payload = defaultBundlePayload();
      }
      const data = flags.data ? { ...payload.data, ...readDataSections(flags.data) } : payload.data;
      let prepared: ReturnType<typeof preparePdpData>;
      try {
        prepared = preparePdpData(data);
      } catch (error) {
        if (!(error instanceof PdpDataError)) throw error;
        throw new UsageError(`the policy data is invalid: ${error.message}`);
      }
      const decision = decide(compilePolicies(payload.policies), prepared, input);
      if (flags.explain)
        printJson({
          verdict: decision.verdict,
          denied: decision.denied,
          errors: decision.errors,
          bundle: { version: payload.version, kid, source: flags.bundle ?? 'default', data: flags.data ?? 'bundle' },
        });
      else printJson(decision.verdict);
      process.exitCode = decision.verdict.allow ? 0 : 1;
    });

  const bundle = dsr
    .command('bundle')
    .description('signed DSR policy bundles: {version, policies (Cedar), data} as an ES256 compact JWS');

  bundle
    .command('sign')
    .description(
      'sign a policy bundle with an administration key (kid = RFC 7638 thumbprint of its public key); default policies and data unless given',
    )
    .requiredOption('--key <pem>', 'administration private key (EC P-256, PEM)')
    .requiredOption('--version <n>', 'bundle version: must exceed the one in force where it is pushed', parseVersion)
    .option('--policies <file>', 'Cedar policy text (default: the built-in default policies)')
    .option(
      '--data <file|dir>',
      'policy data: JSON with android_data, ios_data, security_data, or a reference OPA bundle directory (default: the built-in data)',
    )
    .option(
      '--pip <kind=file>',
      `a PIP list (JSON array or one entry a line) replacing its security_data list: ${PIP_KINDS.join(', ')} (repeatable)`,
      parsePip,
    )
    .option('--out <file>', 'write the bundle to this file (default: standard output)')
    .action(
      async (flags: {
        key: string;
        version: number;
        policies?: string;
        data?: string;
        pip?: { kind: PipKind; file: string }[];
        out?: string;
      }) => {
        const [{ parseEs256PrivateKey }, { signBundle }, { defaultBundleData }, { DEFAULT_POLICIES }, pip] =
          await Promise.all([
            import('../crypto/jose/es256-keys.js'),
            import('../features/dsr/bundles/bundle.js'),
            import('../features/dsr/defaults.js'),
            import('../features/dsr/pdp/default-policies.js'),
            import('../features/dsr/bundles/pip-lists.js'),
          ]);
        let signer: ReturnType<typeof parseEs256PrivateKey>;
        try {
          signer = parseEs256PrivateKey(readInputText(flags.key, 'administration key'), flags.key);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          throw new UsageError((error as Error).message.replace(': privateKey is', ' is'));
        }
        const kid = jwkThumbprint(signer.publicJwk);
        const policies = flags.policies ? readInputText(flags.policies, 'Cedar policies') : DEFAULT_POLICIES;
        let data = (
          flags.data ? readDataSections(flags.data) : defaultBundleData()
        ) as import('../features/dsr/pdp/context.js').PdpData;
        let lists: import('../features/dsr/bundles/pip-lists.js').PipLists = {};
        for (const { kind, file } of flags.pip ?? []) {
          const parsed = keywardUsage(() =>
            pip.parsePipList(kind, readInputText(file, `${kind} list`), { source: file }),
          );
          lists = pip.mergePipLists(lists, { [kind]: parsed });
        }
        if (Object.keys(lists).length > 0) data = pip.applyPipLists(data, lists);
        const jws = keywardUsage(() => signBundle({ version: flags.version, policies, data }, signer.privateKey, kid));
        if (!flags.out) {
          process.stdout.write(`${jws}\n`);
          return;
        }
        const out = resolve(flags.out);
        writeFileSync(out, `${jws}\n`);
        printJson({ out, version: flags.version, kid, bytes: jws.length });
      },
    );

  bundle
    .command('verify')
    .description(
      'verify a policy bundle (signature by an administration key, version, Cedar policies, data) and print {valid, version, kid, code} as JSON (exit 0 valid, 1 invalid)',
    )
    .argument('<bundle.jws|->', 'the bundle (compact JWS), or - for standard input')
    .requiredOption('--key <pem>', 'administration public key (EC P-256, PEM; repeatable)', collect)
    .option('--min-version <n>', 'the version in force: the bundle must be newer', parseVersion)
    .action(async (file: string, flags: { key: string[]; minVersion?: number }) => {
      const jws = readTextArgument(file, 'policy bundle');
      const keys = adminKeys(flags.key);
      const { verifyBundle } = await import('../features/dsr/bundles/bundle.js');
      try {
        const verified = verifyBundle(jws, {
          keys,
          ...(flags.minVersion !== undefined ? { minVersion: flags.minVersion } : {}),
        });
        printJson({
          valid: true,
          version: verified.version,
          kid: verified.kid,
          code: null,
          policies: verified.policies.policies.size,
          data: dataSummary(verified.payload.data),
        });
        process.exitCode = 0;
      } catch (error) {
        if (!isKeywardError(error)) throw error;
        printJson({ valid: false, version: null, kid: null, ...rejection(error) });
        process.exitCode = 1;
      }
    });

  bundle
    .command('push')
    .description(
      "install a policy bundle on a running Keyward: PUT <url>/admin/v1/dsr/bundles/<slot> with the admin API key; print the server's JSON answer (exit 1 when it refuses)",
    )
    .argument('<bundle.jws|->', 'the bundle (compact JWS), or - for standard input')
    .requiredOption('--url <url>', 'Keyward base URL (e.g. https://keyward.example)')
    .addOption(new Option('--slot <slot>', 'which bundle to replace').choices(SLOTS).makeOptionMandatory())
    .option('--api-key <key>', 'admin API key (default: KEYWARD_ADMIN_API_KEY)')
    .action(async (file: string, flags: { url: string; slot: (typeof SLOTS)[number]; apiKey?: string }) => {
      const jws = readTextArgument(file, 'policy bundle').trim();
      if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws))
        throw new UsageError(`${file} is not a compact JWS`);
      const apiKey = flags.apiKey ?? process.env.KEYWARD_ADMIN_API_KEY;
      if (!apiKey) throw new UsageError('give the admin API key with --api-key or KEYWARD_ADMIN_API_KEY');
      let target: URL;
      try {
        target = new URL(`admin/v1/dsr/bundles/${flags.slot}`, flags.url.endsWith('/') ? flags.url : `${flags.url}/`);
      } catch {
        throw new UsageError(`--url ${flags.url} is not a URL`);
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new UsageError(`--url ${flags.url} is not an http(s) URL`);
      let response: Response;
      try {
        response = await fetch(target, {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${apiKey}`,
            'content-type': 'application/jose',
            accept: 'application/json',
          },
          body: jws,
          signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
        });
      } catch (error) {
        throw new Error(`PUT ${target.href} failed: ${causeText(error)}`);
      }
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (body !== undefined) printJson(body);
      else if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      if (!response.ok) {
        process.stderr.write(`keyward: PUT ${target.href} answered ${response.status} ${response.statusText}\n`);
        process.exitCode = 1;
      } else process.exitCode = 0;
    });

  bundle
    .command('keygen')
    .description(
      'create an administration key pair (EC P-256): the private key as PKCS#8 PEM (mode 0600), and print the public key PEM and its kid',
    )
    .requiredOption('--out <file>', 'private key file to create (must not exist)')
    .option('--public-out <file>', 'also write the public key PEM here (for dsr.bundles.keyFiles)')
    .action(async (flags: { out: string; publicOut?: string }) => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      const publicPem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
      const out = resolve(flags.out);
      const write = (path: string, text: string, mode: number) => {
        try {
          writeFileSync(path, text, { mode, flag: 'wx' });
        } catch (error) {
          throw new UsageError(`cannot create ${path}: ${(error as Error).message}`);
        }
      };
      write(out, privatePem, 0o600);
      const publicOut = flags.publicOut ? resolve(flags.publicOut) : undefined;
      if (publicOut) write(publicOut, publicPem, 0o644);
      printJson({
        privateKey: out,
        ...(publicOut ? { publicKeyFile: publicOut } : {}),
        kid: kidOf(publicKey),
        publicKey: publicPem,
      });
    });
}

/** Runs `build`; a KeywardError (the given input is refused) becomes a UsageError naming its code: exit 2. */
function keywardUsage<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    throw new UsageError(`${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ''}`);
  }
}

async function verifiedBundleOrUsage(file: string, keys: Map<string, KeyObject>) {
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
function dataSummary(data: import('../features/dsr/pdp/context.js').PdpData) {
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
async function readCertificate(file: string): Promise<Buffer> {
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

const causeText = (error: unknown): string => {
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  const message = (error as Error).message ?? String(error);
  return cause?.message ? `${message} (${cause.code ?? cause.message})` : message;
};

/** GET a JWKS with a timeout; a failure exits 1 with the reason (the token is neither verified nor refused). */
async function fetchJwks(url: string): Promise<unknown> {
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
