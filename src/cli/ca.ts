import { join } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { writeKeyDirectory } from './key-directory.js';
import { addConfigOptions, configFromFlags } from './options.js';

export function registerCa(program: Command): void {
  const ca = program.command('ca').description('the binding-certificate CA of the Warden endpoint');
  ca.command('init')
    .description('generate a root (EC P-384) and an issuing intermediate (EC P-256) into a new directory')
    .requiredOption('--out <dir>', 'directory to create (must not exist); keys are written with mode 0600')
    .option('--name <name>', 'CA name used in the subjects', 'Keyward Binding CA')
    .action(async (flags: { out: string; name: string }) => {
      const { BINDING_CA_FILES: FILES, generateBindingCaDirectory } = await import('../features/warden/binding-ca.js');
      const directory = writeKeyDirectory(flags.out, generateBindingCaDirectory(systemClock.now(), flags.name));
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
  addConfigOptions(
    ca.command('show').description('print the configured (or development) CA: subjects, validity and fingerprints'),
  ).action(async (flags: Record<string, unknown>) => {
    const { config } = configFromFlags(flags);
    const { loadBindingCa } = await import('../keys/load-keys.js');
    const bindingCa = loadBindingCa(config, systemClock);
    const describe = (certificate: typeof bindingCa.root) => ({
      subject: certificate.subject,
      serial: certificate.serial,
      notBefore: new Date(certificate.notBefore).toISOString(),
      notAfter: new Date(certificate.notAfter).toISOString(),
      key: `${certificate.keyAlgorithm}${certificate.curve ? ` ${certificate.curve}` : ''}`,
      sha256Fingerprint: certificate.fingerprint,
    });
    process.stdout.write(
      `${JSON.stringify({ root: describe(bindingCa.root), intermediate: describe(bindingCa.intermediate) }, null, 2)}\n`,
    );
  });
}
