import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { isKeywardError } from '../errors.js';
import { collect, parseInstant } from './byte-values.js';
import { parseInputJson, readInputText } from './input-files.js';
import { registerDsrKeys } from './dsr-keys.js';
import {
  adminKeys,
  fetchJwks,
  readCertificate,
  readDataSections,
  readTextArgument,
  rejection,
  verifiedBundleOrUsage,
} from './dsr-inputs.js';
import { registerDsrBundle } from './dsr-bundle.js';
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

  registerDsrBundle(dsr);
}
