import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openMigratedDatabase } from './store.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('openMigratedDatabase', () => {
  it('names the database and the migration that failed', async () => {
    const file = join(work, 'conflicting.db');
    const existing = new SQLite(file);
    existing.exec('create table challenges (unrelated integer)');
    existing.close();
    await expect(openMigratedDatabase({ url: `sqlite:${file}` })).rejects.toThrow(
      `database sqlite ${file}: migrating to 001-challenges failed: `,
    );
  });
});
