import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { jwkThumbprint } from '../crypto/jose/jwk.js';
import { isKeywardError } from '../errors.js';
import { collect } from './byte-values.js';
import { readInputText } from './input-files.js';
import {
  PIP_KINDS,
  PUSH_TIMEOUT_MS,
  type PipKind,
  SLOTS,
  adminKeys,
  causeText,
  dataSummary,
  keywardUsage,
  kidOf,
  parsePip,
  parseVersion,
  readDataSections,
  readTextArgument,
  rejection,
} from './dsr-inputs.js';
import { UsageError } from './usage-error.js';
import { printJson } from './verify-output.js';

/** `keyward dsr bundle sign|verify|push|keygen`: make, check and install signed policy bundles. */
export function registerDsrBundle(dsr: Command): void {
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
