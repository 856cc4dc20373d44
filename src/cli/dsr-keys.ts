import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { readInputText } from './input-files.js';
import { UsageError } from './usage-error.js';

/** `keyward dsr keys …`: the ES256 keys device tokens are signed with (dsr.signingKeysFile). */
export function registerDsrKeys(dsr: Command): void {
  const keys = dsr.command('keys').description('device-token signing keys (dsr.signingKeysFile)');

  keys
    .command('init')
    .description('write a new signing-key file with one key (mode 0600)')
    .requiredOption('--out <file>', 'file to create (must not exist)')
    .action(async (flags: { out: string }) => {
      const { dsrSigningKeyFile, generateDsrSigningKey } = await import('../features/dsr/signing-keys.js');
      const file = resolve(flags.out);
      if (existsSync(file)) throw new UsageError(`${file} exists; keyward dsr keys rotate adds keys to it`);
      const entry = generateDsrSigningKey(systemClock.now());
      writeFileSync(file, dsrSigningKeyFile([entry]), { mode: 0o600, flag: 'wx' });
      process.stdout.write(
        `${JSON.stringify({ file, kid: entry.kid, configuration: { 'dsr.signingKeysFile': file } }, null, 2)}\n`,
      );
    });

  keys
    .command('rotate')
    .description(
      'add a signing key that starts signing after --starts-in (PEPs fetch the JWKS before); optionally retire an old one',
    )
    .requiredOption('--file <file>', 'the signing-key file (dsr.signingKeysFile)')
    .option('--starts-in <seconds>', 'when the new key starts signing, from now', '3600')
    .option('--retire <kid>', 'remove this key (only once no token it signed can still be live)')
    .option('--no-add', 'only retire')
    .action(async (flags: { file: string; startsIn: string; retire?: string; add: boolean }) => {
      const { DsrSigningKeys, dsrSigningKeyFile, generateDsrSigningKey } = await import(
        '../features/dsr/signing-keys.js'
      );
      const startsIn = Number(flags.startsIn);
      if (!Number.isSafeInteger(startsIn) || startsIn < 0)
        throw new UsageError('--starts-in must be a whole number of seconds');
      const file = resolve(flags.file);
      let entries = (JSON.parse(readInputText(file)) as { keys: Parameters<typeof dsrSigningKeyFile>[0] }).keys;
      if (flags.retire) {
        if (!entries.some((entry) => entry.kid === flags.retire))
          throw new UsageError(`no key ${flags.retire} in ${file}`);
        entries = entries.filter((entry) => entry.kid !== flags.retire);
      }
      if (flags.add) entries.push(generateDsrSigningKey(systemClock.now() + startsIn * 1000));
      if (entries.length === 0) throw new UsageError('that would leave no signing key');
      const text = dsrSigningKeyFile(entries);
      let parsed: InstanceType<typeof DsrSigningKeys>;
      try {
        parsed = DsrSigningKeys.parse(text);
      } catch (error) {
        throw new UsageError(`the resulting key file would be invalid: ${(error as Error).message}`);
      }
      // Written beside and renamed over, so a reader never sees half a file.
      writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      const signing = parsed.signingKey(systemClock.now()).kid;
      process.stdout.write(
        `${JSON.stringify({ file, signing, keys: entries.map(({ kid, createdAt }) => ({ kid, createdAt })) }, null, 2)}\n`,
      );
    });
}
