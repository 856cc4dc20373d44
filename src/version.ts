import { existsSync, readFileSync } from 'node:fs';

/** package.json's version; this module runs from src/ under tests and from dist/src/ when built. */
function readVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    const url = new URL(relative, import.meta.url);
    if (!existsSync(url)) continue;
    const manifest = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === 'keyward' && manifest.version) return manifest.version;
  }
  throw new TypeError('cannot find keyward package.json');
}

export const KEYWARD_VERSION = readVersion();
