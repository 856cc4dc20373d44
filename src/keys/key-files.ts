import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';

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

/**
 * Reads a set of key files from `directory`, creating them together on first use: they are
 * written into a temporary directory that is renamed into place, so a concurrent start either
 * wins or reads the winner's complete set.
 */
export function readOrCreateKeyDirectory(
  directory: string,
  files: readonly string[],
  generate: () => Record<string, string>,
): { files: Record<string, string>; created: boolean } {
  const read = () => Object.fromEntries(files.map((name) => [name, readFileSync(join(directory, name), 'utf8')]));
  try {
    return { files: read(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(directory), { recursive: true, mode: 0o700 });
  const temporary = `${directory}.${randomBytes(6).toString('hex')}.tmp`;
  mkdirSync(temporary, { mode: 0o700 });
  const content = generate();
  for (const name of files) writeFileSync(join(temporary, name), content[name]!, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(temporary, directory);
    return { files: read(), created: true };
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    return { files: read(), created: false };
  }
}
