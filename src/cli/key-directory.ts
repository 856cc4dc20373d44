import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/**
 * Writes a new key directory (mode 0700): private keys (`*.key.pem`, `*.json` key sets) with
 * mode 0600, certificates 0644. Files are created exclusively: nothing is ever overwritten, and
 * an existing directory is a UsageError (exit 2). Returns the directory's absolute path.
 */
export function writeKeyDirectory(directory: string, files: Record<string, string>): string {
  const absolute = resolve(directory);
  if (existsSync(absolute)) throw new UsageError(`${absolute} exists; choose a new directory`);
  mkdirSync(absolute, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(files)) {
    const secret = name.endsWith('.key.pem') || name.endsWith('.json');
    writeFileSync(join(absolute, name), text, { mode: secret ? 0o600 : 0o644, flag: 'wx' });
  }
  return absolute;
}
