import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

export interface KeyFile {
  data: Buffer;
  /** True when this call generated the file. */
  created: boolean;
}

/**
 * Reads a key file, creating it (mode 0600) on first use. Creation is atomic: the content is
 * written to a temporary file and hard-linked into place, so two instances starting together
 * agree on one key and no reader ever sees a half-written file.
 */
export function readOrCreateKeyFile(path: string, generate: () => string | Buffer): KeyFile {
  try {
    return { data: readFileSync(path), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, generate(), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
    return { data: readFileSync(path), created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { data: readFileSync(path), created: false };
  } finally {
    unlinkSync(temporary);
  }
}
