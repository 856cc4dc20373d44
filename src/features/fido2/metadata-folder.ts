import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { entryFromStatement } from '../../attestation/webauthn/metadata/statement.js';
import type { MetadataEntry } from '../../attestation/webauthn/types.js';
import { isKeywardError } from '../../errors.js';

/** Metadata statements are small (icons included); a larger file is not one. */
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

/** A folder file that was not used, and why (logged; never fatal). */
export interface SkippedStatement {
  file: string;
  code: string;
  message: string;
}

export interface LocalMetadata {
  entries: MetadataEntry[];
  skipped: SkippedStatement[];
}

/** The `*.json` files directly in `folder`, by name; a folder that cannot be listed throws (a configuration mistake). */
export function statementFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.name.endsWith('.json') && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The local metadata folder (Janssen's serverMetadataFolder): every `*.json` file becomes an
 * entry with source `local:<file name>`. A file that cannot be read, is not JSON or not a
 * metadata statement is skipped with its reason, as is one naming an AAGUID or key identifier
 * an earlier file (by name) named: one bad file never hides the others.
 */
export function loadMetadataFolder(folder: string): LocalMetadata {
  const entries: MetadataEntry[] = [];
  const skipped: SkippedStatement[] = [];
  const claimed = new Map<string, string>();
  for (const file of statementFiles(folder)) {
    const path = join(folder, file);
    let json: unknown;
    try {
      if (!statSync(path).isFile()) continue;
      if (statSync(path).size > MAX_STATEMENT_BYTES) throw new Error(`larger than ${MAX_STATEMENT_BYTES} bytes`);
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      skipped.push({ file, code: 'METADATA_STATEMENT_UNREADABLE', message: (error as Error).message });
      continue;
    }
    let entry: MetadataEntry;
    try {
      entry = entryFromStatement(json, `local:${file}`);
    } catch (error) {
      if (!isKeywardError(error)) throw error;
      skipped.push({
        file,
        code: error.code,
        message: error.detail ? `${error.message} (${error.detail})` : error.message,
      });
      continue;
    }
    const names = [
      ...(entry.aaguid ? [`AAGUID ${entry.aaguid}`] : []),
      ...(entry.attestationCertificateKeyIdentifiers ?? []).map((id) => `key identifier ${id}`),
    ];
    const taken = names.find((name) => claimed.has(name));
    if (taken) {
      skipped.push({
        file,
        code: 'METADATA_STATEMENT_DUPLICATE',
        message: `${taken} is already described by ${claimed.get(taken)}`,
      });
      continue;
    }
    for (const name of names) claimed.set(name, file);
    entries.push(entry);
  }
  return { entries, skipped };
}
