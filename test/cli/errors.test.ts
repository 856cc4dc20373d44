import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorReference } from '../../src/errors-docs.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-errors-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('keyward errors docs', () => {
  it('prints the error reference, or writes it with --out', async () => {
    const printed = await runCli(['errors', 'docs']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(errorReference());
    const out = join(work, 'errors.md');
    expect((await runCli(['errors', 'docs', '--out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(errorReference());
  });
});

describe('configuration mistakes found while building the verifiers', () => {
  it('stop the process at start with exit code 2 and a message naming the option', async () => {
    const cwd = mkdtempSync(join(work, 'bad-'));
    const file = join(cwd, 'keyward.yaml');
    const cases: [string, RegExp][] = [
      [
        'warden:\n  policies:\n    default: {}\n',
        /^keyward: invalid configuration: warden\.policies: "default" names the base policy/,
      ],
      [
        'warden:\n  certificate:\n    subject: "XX=1"\n',
        /^keyward: invalid configuration: warden\.certificate\.subject: unknown attribute XX/,
      ],
      [
        `android:\n  extraRootFiles: ["${join(cwd, 'missing.pem')}"]\n`,
        /^keyward: invalid configuration: android\.extraRootFiles: cannot read /,
      ],
      [
        `android:\n  revocation:\n    file: "${file}"\n`,
        /^keyward: invalid configuration: android\.revocation\.file: status list .* is not JSON/,
      ],
    ];
    for (const [yaml, message] of cases) {
      writeFileSync(file, yaml);
      const result = await runCli(['config', 'check', '--config', file], { cwd });
      expect(result.code, yaml).toBe(2);
      expect(result.stderr, yaml).toMatch(message);
    }
  });
});
