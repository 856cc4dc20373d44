import { renameSync, writeFileSync } from 'node:fs';
import { readInputText } from './input-files.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { writeKeyDirectory } from './key-directory.js';
import { UsageError } from './usage-error.js';

/** `keyward mdvm keys …`: the MDVM root and the mdvm_token signing keys it certifies. */
export function registerMdvm(program: Command): void {
  const keys = program
    .command('mdvm')
    .description('the MDVM (wallet-instance registry)')
    .command('keys')
    .description('mdvm_token signing keys');

  keys
    .command('init')
    .description('create an MDVM root and a first signing key in a new directory')
    .requiredOption('--out <dir>', 'directory to create (must not exist); keys are written with mode 0600')
    .option('--name <name>', 'root name', 'Keyward MDVM Root')
    .action(async (flags: { out: string; name: string }) => {
      const { MDVM_KEY_FILES: FILES, generateMdvmKeyDirectory } = await import('../features/mdvm/signing-keys.js');
      const generated = generateMdvmKeyDirectory(systemClock.now(), flags.name);
      const directory = writeKeyDirectory(flags.out, generated.files);
      process.stdout.write(
        `${JSON.stringify(
          {
            directory,
            kid: generated.kid,
            configuration: { 'mdvm.signingKeysFile': join(directory, FILES.signingKeys) },
            note: `Give relying backends ${FILES.rootCertificate} (or the JWKS); keep ${FILES.rootKey} offline — only rotation needs it.`,
          },
          null,
          2,
        )}\n`,
      );
    });

  keys
    .command('rotate')
    .description('add a new signing key (it signs from the next start on); optionally retire an old one')
    .requiredOption('--dir <dir>', 'directory made by keyward mdvm keys init (needs root.key.pem)')
    .option('--retire <kid>', 'remove this key (only once no token it signed can still be live)')
    .option('--no-add', 'only retire')
    .action(async (flags: { dir: string; retire?: string; add: boolean }) => {
      const {
        MDVM_KEY_FILES: FILES,
        MdvmSigningKeys,
        issueSigningKey,
        signingKeyFile,
      } = await import('../features/mdvm/signing-keys.js');
      const directory = resolve(flags.dir);
      const file = join(directory, FILES.signingKeys);
      let entries = (JSON.parse(readInputText(file)) as { keys: Parameters<typeof signingKeyFile>[0] }).keys;
      if (flags.retire) {
        if (!entries.some((entry) => entry.kid === flags.retire))
          throw new UsageError(`no key ${flags.retire} in ${file}`);
        entries = entries.filter((entry) => entry.kid !== flags.retire);
      }
      if (flags.add)
        entries.push(
          issueSigningKey(
            {
              certificate: readInputText(join(directory, FILES.rootCertificate)),
              key: readInputText(join(directory, FILES.rootKey)),
            },
            systemClock.now(),
          ),
        );
      if (entries.length === 0) throw new UsageError('that would leave no signing key');
      const text = signingKeyFile(entries);
      const parsed = (() => {
        try {
          return MdvmSigningKeys.parse(text);
        } catch (error) {
          throw new UsageError(`the resulting key file would be invalid: ${(error as Error).message}`);
        }
      })();
      // Written beside and renamed over, so a reader never sees half a file.
      writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      process.stdout.write(
        `${JSON.stringify({ file, signing: parsed.current.kid, keys: parsed.keys.map((key) => ({ kid: key.kid, createdAt: new Date(key.createdAt).toISOString() })) }, null, 2)}\n`,
      );
    });
}
