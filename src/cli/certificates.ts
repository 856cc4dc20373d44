import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { addConfigOptions, configFromFlags, withConfiguredStore } from './options.js';
import { REVOCATION_REASONS } from '../store/binding-certificate-store.js';
import { UsageError } from './usage-error.js';

const REASONS: readonly string[] = REVOCATION_REASONS;

const withStore = <T>(flags: Record<string, unknown>, use: (store: import('../store/store.js').Store) => Promise<T>) =>
  withConfiguredStore(configFromFlags(flags).config, use);

export function registerCertificates(program: Command): void {
  const certificates = program
    .command('certificates')
    .description('binding certificates issued by the Warden endpoint');
  addConfigOptions(
    certificates
      .command('list')
      .description('list issued certificates, newest first')
      .option('--key-thumbprint <hex>', 'only those for this key (SHA-256 of its SPKI)')
      .option('--limit <n>', 'at most this many', (value) => Number(value), 50),
  ).action(async (flags: Record<string, unknown>) => {
    const list = await withStore(flags, (store) =>
      store.bindingCertificates.list({
        limit: flags.limit as number,
        ...(flags.keyThumbprint ? { keyThumbprint: String(flags.keyThumbprint) } : {}),
      }),
    );
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  });
  addConfigOptions(
    certificates
      .command('revoke')
      .description('revoke a certificate; it appears on the next CRL (/api/v1/crl)')
      .argument('<serial>', 'serial, lowercase hex')
      .option('--reason <reason>', REASONS.join('|'), 'unspecified'),
  ).action(async (serial: string, flags: Record<string, unknown>) => {
    if (!/^[0-9a-f]{1,64}$/.test(serial)) throw new UsageError('serial must be lowercase hex');
    if (!REASONS.includes(String(flags.reason))) throw new UsageError(`--reason must be one of ${REASONS.join(', ')}`);
    const outcome = await withStore(flags, (store) =>
      store.bindingCertificates.revoke(serial, String(flags.reason), systemClock.now()),
    );
    process.stdout.write(`${JSON.stringify({ serial, outcome })}\n`);
    process.exitCode = outcome === 'revoked' ? 0 : 1;
  });
}
