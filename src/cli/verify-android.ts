import { Option, type Command } from 'commander';
import { systemClock } from '../clock.js';
import { collect, parseByteValue, parseInstant } from './byte-values.js';
import { configFromFlags } from './options.js';
import { UsageError } from './usage-error.js';
import { readInputText } from './input-files.js';
import { printVerification } from './verify-output.js';

interface AndroidFlags {
  challenge: Buffer;
  at?: number;
  allowSoftware?: boolean;
  package?: string[];
  signerDigest?: string[];
  config?: string;
  revocationList?: string;
  revocation: boolean;
}

export function registerAndroidVerify(verify: Command): void {
  verify
    .command('android-key')
    .description('verify an Android Key Attestation certificate chain (PEM, leaf first)')
    .argument('<chain.pem>', 'PEM file holding the chain, leaf first')
    .requiredOption(
      '--challenge <value>',
      'the challenge the key was attested with (b64:, b64url:, hex:, utf8: or base64)',
      parseByteValue,
    )
    .option('--at <ISO-8601>', 'verification time (default now)', parseInstant)
    .option('--allow-software', 'accept software (emulator) attestation')
    .option('--package <name>', 'allowed package name (repeatable); sets the app policy', collect)
    .option(
      '--signer-digest <value>',
      'allowed SHA-256 signing-certificate digest (repeatable; with --package)',
      collect,
    )
    .option('-c, --config <file>', 'YAML or JSON configuration file (android section)')
    .option(
      '--revocation-list <file>',
      "check revocation against this copy of Google's status list instead of fetching it",
    )
    .addOption(new Option('--no-revocation', 'do not check revocation'))
    .action(async (file: string, flags: AndroidFlags) => {
      const pem = readInputText(file);
      const [{ androidVerifierFromConfig }, { pemCertificates }] = await Promise.all([
        import('../config/android-verifier.js'),
        import('../crypto/x509/certificate.js'),
      ]);
      const chain = pemCertificates(pem);
      if (chain.length === 0) throw new UsageError(`${file} holds no PEM certificates`);
      if (flags.signerDigest && !flags.package) throw new UsageError('--signer-digest needs --package');

      const android: Record<string, unknown> = {};
      if (flags.allowSoftware) android.allowSoftwareAttestation = true;
      if (!flags.revocation) android.revocation = { enabled: false };
      else if (flags.revocationList) android.revocation = { file: flags.revocationList };
      const { config } = configFromFlags({ config: flags.config }, { android: mergeSection(flags.config, android) });
      if (flags.package) {
        const digests = (flags.signerDigest ?? []).map((value) => parseByteValue(value).toString('hex'));
        config.android.policy.apps = flags.package.map((packageName) => ({
          packageName,
          signerDigests: digests,
          minVersion: 0,
        }));
      }
      const verifier = androidVerifierFromConfig(config.android, { clock: systemClock });
      await printVerification(() =>
        verifier.verify({ chain, challenge: flags.challenge, at: flags.at ?? systemClock.now() }),
      );
    });
}

/** Flags override single android options without discarding the rest of the section from the config file. */
function mergeSection(
  file: string | undefined,
  overrides: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (Object.keys(overrides).length === 0) return undefined;
  const { config } = configFromFlags({ config: file });
  const base = structuredClone(config.android) as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    base[key] = typeof value === 'object' && value !== null ? { ...(base[key] as object), ...value } : value;
  }
  return base;
}
