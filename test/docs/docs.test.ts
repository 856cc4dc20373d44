import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { freePort, freshCheckout, portInUse, ROOT, runBlocks, runnableBlocks, RUNNABLE_MARKER } from './runnable.js';

/** README.md and every page under docs/. */
function documentationFiles(): string[] {
  const pages = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((name) =>
    name.endsWith('.md'),
  );
  return ['README.md', ...pages.map((page) => relative(ROOT, join(ROOT, 'docs', page)))];
}

/** What the output of a page's blocks must show besides their success. */
const EXPECTED: Record<string, RegExp[]> = {
  'README.md': [
    /"type": "Success"[\s\S]*"type": "Success"/,
    /"serial":/,
    /keyward_warden_attestations_total\{[^}]*outcome="SUCCESS"[^}]*\} 2/,
  ],
  'docs/cli.md': [
    /"verified": true,\s+"platform": "android"/,
    /"verified": true,\s+"platform": "apple"/,
    /"code": "BOOTLOADER_UNLOCKED"/,
    /"valid": true/,
    /"fmt": "tpm",[\s\S]*"trust": "root"/,
  ],
  'docs/webauthn.md': [
    /"fmt": "tpm"[\s\S]*"trust": "metadata"/,
    /"fmt": "fido-u2f"[\s\S]*"trust": "metadata"/,
    /"verified": true,\s+"no": 9/,
  ],
};

const runnable = documentationFiles().filter((file) => runnableBlocks(file).length > 0);

describe('documentation that runs', () => {
  it('marks the README tour and the CLI examples as runnable', () => {
    expect(runnable).toEqual(expect.arrayContaining(Object.keys(EXPECTED)));
    expect(CLI).toMatch(/dist/);
  });

  it.each(runnable)(
    `runs the ${RUNNABLE_MARKER} blocks of %s from a fresh checkout and leaves no server behind`,
    async (file) => {
      const checkout = freshCheckout();
      const port = await freePort();
      try {
        const result = await runBlocks(runnableBlocks(file), {
          cwd: checkout.dir,
          env: {
            KEYWARD_PORT: String(port),
            npm_config_update_notifier: 'false',
            NO_UPDATE_NOTIFIER: '1',
            TMPDIR: checkout.dir,
          },
          timeoutMs: 90_000,
        });
        expect(result.code, result.output).toBe(0);
        for (const pattern of EXPECTED[file] ?? []) expect(result.output, `${file} output`).toMatch(pattern);
        expect(await portInUse(port), `port ${port} still held after ${file}`).toBe(false);
      } finally {
        checkout.remove();
      }
    },
    120_000,
  );
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => slug(heading!)));
}

describe('documentation links', () => {
  it.each(documentationFiles().concat('DEVELOPERS.md'))(
    'every relative link of %s leads to a file and heading that exist',
    (file) => {
      const text = readFileSync(join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const linked = path ? relative(ROOT, join(ROOT, dirname(file), path)) : file;
        if (!existsSync(join(ROOT, linked))) broken.push(`${target} (no ${linked})`);
        else if (anchor && linked.endsWith('.md') && !anchorsOf(linked).has(anchor))
          broken.push(`${target} (no heading #${anchor} in ${linked})`);
      }
      expect(broken).toEqual([]);
    },
  );
});
