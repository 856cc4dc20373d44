import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { addConfigOptions, configFromFlags } from './options.js';
import { UsageError } from './usage-error.js';

const FILES = { rootCertificate: 'root.pem', rootKey: 'root.key.pem', intermediateCertificate: 'intermediate.pem', intermediateKey: 'intermediate.key.pem' } as const;

export function registerCa(program: Command): void {
  const ca = program.command('ca').description('the binding-certificate CA of the Warden endpoint');
  ca.command('init')
    .description('generate a root (EC P-384) and an issuing intermediate (EC P-256) into a new directory')
    .requiredOption('--out <dir>', 'directory to create (must not exist); keys are written with mode 0600')
    .option('--name <name>', 'CA name used in the subjects', 'Keyward Binding CA')
    .action(async (flags: { out: string; name: string }) => {
      const { generateBindingCa } = await import('../features/warden/binding-ca.js');
      const directory = resolve(flags.out);
      if (existsSync(directory)) throw new UsageError(`${directory} exists; choose a new directory`);
      const generated = generateBindingCa(systemClock.now(), flags.name);
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      for (const [field, name] of Object.entries(FILES)) {
        writeFileSync(join(directory, name), generated[field as keyof typeof FILES], { mode: name.endsWith('.key.pem') ? 0o600 : 0o644, flag: 'wx' });
      }
      process.stdout.write(
        `${JSON.stringify(
          {
            directory,
            configuration: {
              'warden.ca.rootCertificateFile': join(directory, FILES.rootCertificate),
              'warden.ca.intermediateCertificateFile': join(directory, FILES.intermediateCertificate),
              'warden.ca.intermediateKeyFile': join(directory, FILES.intermediateKey),
            },
            note: `Keep ${FILES.rootKey} offline: the server needs only the intermediate key.`,
          },
          null,
          2,
        )}\n`,
      );
    });
  addConfigOptions(ca.command('show').description('print the configured (or development) CA: subjects, validity and fingerprints')).action(async (flags: Record<string, unknown>) => {
    const { config } = configFromFlags(flags);
    const { loadServerKeys } = await import('../keys/load-keys.js');
    const { bindingCa } = loadServerKeys(config, systemClock);
    const describe = (certificate: typeof bindingCa.root) => ({
      subject: certificate.subject,
      serial: certificate.serial,
      notBefore: new Date(certificate.notBefore).toISOString(),
      notAfter: new Date(certificate.notAfter).toISOString(),
      key: `${certificate.keyAlgorithm}${certificate.curve ? ` ${certificate.curve}` : ''}`,
      sha256Fingerprint: certificate.fingerprint,
    });
    process.stdout.write(`${JSON.stringify({ root: describe(bindingCa.root), intermediate: describe(bindingCa.intermediate) }, null, 2)}\n`);
  });
}
