import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a new key directory (mode 0700): private keys (`*.key.pem`, `*.json` key sets) with
 * mode 0600, certificates 0644. Files are created exclusively: nothing is ever overwritten.
 */
export function writeKeyDirectory(directory: string, files: Record<string, string>): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  for (const [name, text] of Object.entries(files)) {
    const secret = name.endsWith('.key.pem') || name.endsWith('.json');
    writeFileSync(join(directory, name), text, { mode: secret ? 0o600 : 0o644, flag: 'wx' });
  }
}
