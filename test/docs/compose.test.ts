import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { freshCheckout, ROOT, runBlocks, runnableBlocks } from './runnable.js';

/** The environment deploy/compose.yaml gives a Keyward instance, on top of the image's ENV lines. */
function composeEnvironment(): Record<string, string> {
  const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
  const imageEnv: Record<string, string> = {};
  for (const [, pairs] of dockerfile.matchAll(/^ENV (.+)$/gm)) {
    for (const [, name, value] of pairs!.matchAll(/(\w+)=(\S+)/g)) imageEnv[name!] = value!;
  }
  const compose = parse(readFileSync(join(ROOT, 'deploy/compose.yaml'), 'utf8'), { merge: true });
  const services = Object.entries(
    compose.services as Record<string, { build?: unknown; environment?: Record<string, string> }>,
  ).filter(([, service]) => service.build);
  expect(services.map(([name]) => name)).toEqual(['keyward-a', 'keyward-b']);
  expect(services[1]![1].environment).toEqual(services[0]![1].environment);
  return { ...imageEnv, ...services[0]![1].environment };
}

describe('deploy/compose.yaml', () => {
  it('configures every key file production needs: config check passes with its environment and the documented key files', async () => {
    const env = composeEnvironment();
    expect(env.KEYWARD_KEYS_GENERATE_DEVELOPMENT_KEYS).toBe('false');
    const checkout = freshCheckout();
    try {
      const generated = await runBlocks(runnableBlocks('docs/operations.md'), {
        cwd: checkout.dir,
        env: { npm_config_update_notifier: 'false', TMPDIR: checkout.dir },
        timeoutMs: 60_000,
      });
      expect(generated.code, generated.output).toBe(0);
      const secrets = join(checkout.dir, 'deploy/secrets');
      const mapped = Object.fromEntries(
        Object.entries(env).map(([name, value]) => [name, value.replace(/^\/run\/secrets\//, `${secrets}/`)]),
      );
      const dataDir = join(checkout.dir, 'data');
      const check = await runCli(['config', 'check'], { env: { ...mapped, KEYWARD_DATA_DIR: dataDir } });
      expect(check.code, check.stderr).toBe(0);
      const printed = JSON.parse(check.stdout);
      expect(printed).toMatchObject({
        valid: true,
        unknownEnv: [],
        config: { keys: { generateDevelopmentKeys: false }, databaseUrl: expect.stringMatching(/^postgres:/) },
      });

      // Each key file is needed: without it the check (and serve) refuses to start.
      for (const name of Object.keys(mapped).filter((key) => key.endsWith('_FILE'))) {
        const { [name]: _dropped, ...without } = mapped;
        const refused = await runCli(['config', 'check'], { env: { ...without, KEYWARD_DATA_DIR: dataDir } });
        expect(refused.code, name).toBe(2);
        expect(refused.stderr, name).toMatch(
          /generateDevelopmentKeys is false|needs rootCertificateFile, intermediateCertificateFile and intermediateKeyFile together|tls\.certFile and tls\.keyFile go together|needs iacaCertificateFile, documentSignerCertificateFile and documentSignerKeyFile together/,
        );
      }
    } finally {
      checkout.remove();
    }
  }, 120_000);
});
