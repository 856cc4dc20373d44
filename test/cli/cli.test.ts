import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  postgresDatabase,
  skipWithoutPostgres,
  skipWithoutRedis,
} from '../helpers/backends.js';
import { runCli, serve } from '../helpers/cli.js';
import pg from 'pg';

const work = mkdtempSync(join(tmpdir(), 'keyward-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('keyward serve', () => {
  it('starts on embedded defaults: SQLite and development keys under ./data, with a loud warning', async () => {
    const cwd = mkdtempSync(join(work, 'defaults-'));
    const server = await serve([], { cwd });
    try {
      expect(existsSync(join(cwd, 'data', 'keyward.db'))).toBe(true);
      expect(statSync(join(cwd, 'data', 'keys', 'mac-keys.json')).mode & 0o777).toBe(0o600);
      const warning = server.logs.find((line) => line.level === 40 && /DEVELOPMENT KEY GENERATED/.test(line.msg));
      expect(warning?.path).toBe(join('data', 'keys', 'mac-keys.json'));
      const listening = server.logs.find((line) => line.msg === 'keyward listening');
      expect(listening?.store).toBe(`sqlite ${join(cwd, 'data', 'keyward.db')}`);
      const response = await fetch(`${server.url}/v1/challenges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"purpose":"default"}',
      });
      expect(response.status).toBe(200);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down', 'shutdown complete']));

    // A second start reuses the keys and says they are development keys.
    const again = await serve([], { cwd });
    expect(again.logs.some((line) => /DEVELOPMENT KEY IN USE/.test(line.msg))).toBe(true);
    expect(await again.stop('SIGINT')).toBe(0);
  });

  it('stops at start with exit code 2 and a message naming a bad option', async () => {
    const cwd = mkdtempSync(join(work, 'bad-'));
    const fromEnv = await runCli(['serve'], { cwd, env: { KEYWARD_CHALLENGES_BYTES: '500' } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/invalid configuration: challenges\.bytes = 500 \(from KEYWARD_CHALLENGES_BYTES\)/);

    const badFlag = await runCli(['serve', '--port', 'eighty'], { cwd });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--port.*must be a port number/);

    const file = join(cwd, 'keyward.yaml');
    writeFileSync(file, 'databaseUrl: mysql://root:pw@db/x\n');
    const fromFile = await runCli(['serve', '--config', file], { cwd });
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain(`invalid configuration: databaseUrl (from config file ${file})`);
    expect(fromFile.stderr).not.toContain('pw@');

    const noKeys = await runCli(['serve'], { cwd, env: { KEYWARD_KEYS_GENERATE_DEVELOPMENT_KEYS: 'false' } });
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toMatch(/keys\.macKeysFile is empty and keys\.generateDevelopmentKeys is false/);
  });

  it('warns about KEYWARD_ variables that name no option', async () => {
    const cwd = mkdtempSync(join(work, 'typo-'));
    const server = await serve([], { cwd, env: { KEYWARD_PROT: '1' } });
    expect(server.logs.find((line) => line.variables)?.variables).toEqual(['KEYWARD_PROT']);
    expect(await server.stop()).toBe(0);
  });
});

describe('keyward db migrate and config check', () => {
  it('migrates a SQLite database once and reports it up to date afterwards', async () => {
    const url = `sqlite:${join(work, 'migrate.db')}`;
    const first = await runCli(['db', 'migrate', '--database-url', url]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      applied: [
        '001-challenges',
        '002-app-attest-keys',
        '003-binding-certificates',
        '004-mdvm',
        '005-webauthn',
        '006-webauthn-pending-users',
        '007-dsr',
        '008-provisioning',
        '009-console',
      ],
      status: 'migrated',
    });
    const second = await runCli(['db', 'migrate', '--database-url', url]);
    expect(JSON.parse(second.stdout)).toMatchObject({ applied: [], status: 'up to date' });
  });

  it.skipIf(skipWithoutPostgres)('migrates PostgreSQL into the named schema', async () => {
    const database = postgresDatabase();
    const schema = database.config.databaseSchema;
    try {
      const result = await runCli(['db', 'migrate', '--database-url', TEST_DATABASE_URL, '--database-schema', schema]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).applied).toEqual([
        '001-challenges',
        '002-app-attest-keys',
        '003-binding-certificates',
        '004-mdvm',
        '005-webauthn',
        '006-webauthn-pending-users',
        '007-dsr',
        '008-provisioning',
        '009-console',
      ]);
    } finally {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      const tables = await client.query(
        'select table_name from information_schema.tables where table_schema = $1 order by 1',
        [schema],
      );
      await client.end();
      await database.remove();
      expect(tables.rows.map((row) => row.table_name)).toContain('challenges');
    }
  });

  it('prints the effective configuration with secrets redacted', async () => {
    const result = await runCli(['config', 'check'], {
      env: { KEYWARD_DATABASE_URL: 'postgres://u:topsecret@db/k', KEYWARD_PORT: '9000' },
    });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed.config.port).toBe(9000);
    expect(printed.config.databaseUrl).toBe('postgres://u:***@db/k');
    expect(result.stdout).not.toContain('topsecret');
  });
});

describe.skipIf(skipWithoutPostgres || skipWithoutRedis)('keyward serve on PostgreSQL and Redis', () => {
  it('uses both and reports them ready', async () => {
    const cwd = mkdtempSync(join(work, 'pg-'));
    const database = postgresDatabase();
    const server = await serve(
      [
        '--database-url',
        TEST_DATABASE_URL,
        '--database-schema',
        database.config.databaseSchema,
        '--redis-url',
        TEST_REDIS_URL,
      ],
      { cwd },
    );
    try {
      const ready = (await (await fetch(`${server.url}/ready`)).json()) as {
        status: string;
        checks: Record<string, string>;
        metadata: { status: string };
      };
      expect(ready.status).toBe('ready');
      expect(ready.checks).toEqual({ database: 'ok', redis: 'ok' });
      // The FIDO metadata download (default server, unreachable here) runs in the background and never blocks readiness.
      expect(['loading', 'failed']).toContain(ready.metadata.status);
      expect(server.logs.find((line) => line.msg === 'keyward listening')?.challenges).toBe('redis');
    } finally {
      expect(await server.stop()).toBe(0);
      await database.remove();
    }
  });
});
