import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'([^']+)'/g;

/** The source files (not tests) under `folder`, relative to src/. */
function sources(folder: string): string[] {
  return readdirSync(join(SRC, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => join(folder, file));
}

/** Every module `file` imports: other src/ modules as paths relative to src/ (`crypto/keys.ts`), packages and builtins as written. */
function importsOf(file: string): { specifier: string; module: string }[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(IMPORT)].map(([, specifier]) => ({
    specifier: specifier!,
    module: specifier!.startsWith('.')
      ? relative(SRC, resolve(SRC, dirname(file), specifier!)).replace(/\.js$/, '.ts')
      : specifier!,
  }));
}

/** `file: specifier` for each import of a file under `folder` that `allowed` refuses. */
function violations(folder: string, allowed: (module: string) => boolean): string[] {
  const files = sources(folder);
  expect(files.length).toBeGreaterThan(0);
  return files.flatMap((file) =>
    importsOf(file)
      .filter(({ module }) => !allowed(module))
      .map(({ specifier }) => `${file}: ${specifier}`),
  );
}

const isPackage = (module: string) => !module.startsWith('.') && !module.includes('.ts');
const under = (module: string, ...folders: string[]) => folders.some((folder) => module.startsWith(`${folder}/`));

describe('module dependencies', () => {
  it('attestation depends only on crypto/, errors, clock, itself, node: builtins and packages (no configuration, store or features)', () => {
    const allowed = (module: string) =>
      isPackage(module) ||
      under(module, 'attestation', 'crypto') ||
      ['errors.ts', 'error-codes.ts', 'clock.ts'].includes(module);
    expect(violations('attestation', allowed)).toEqual([]);
  });

  it('features never import http/ (the app builder imports the features)', () => {
    expect(violations('features', (module) => !under(module, 'http'))).toEqual([]);
  });

  it('http-kit, which routes share, imports neither http/ nor features', () => {
    expect(violations('http-kit', (module) => !under(module, 'http', 'features') && module !== 'services.ts')).toEqual(
      [],
    );
  });
});
