import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODE_AREAS } from './error-codes.js';
import type { ErrorCategory } from './errors.js';
import { errorReference } from './errors-docs.js';

describe('error code tables', () => {
  it('never give one code two categories across areas', () => {
    const seen = new Map<string, { area: string; category: ErrorCategory }>();
    const conflicts: string[] = [];
    for (const { area, table } of CODE_AREAS) {
      for (const [code, { category }] of Object.entries(table)) {
        const earlier = seen.get(code);
        if (earlier && earlier.category !== category)
          conflicts.push(`${code}: ${earlier.area} ${earlier.category}, ${area} ${category}`);
        seen.set(code, { area, category });
      }
    }
    expect(conflicts).toEqual([]);
  });

  it('name codes in upper snake case and describe each', () => {
    for (const { area, table } of CODE_AREAS) {
      for (const [code, info] of Object.entries(table)) {
        expect(code, area).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
        expect(info.description.length, `${area} ${code}`).toBeGreaterThan(10);
      }
    }
  });
});

describe('docs/errors.md', () => {
  it('is the reference generated from the tables (run npm run docs when this fails)', () => {
    const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    expect(page).toBe(errorReference());
  });

  it('lists every code of every area', () => {
    const page = errorReference();
    for (const { table } of CODE_AREAS)
      for (const code of Object.keys(table)) expect(page).toContain(`| \`${code}\` |`);
  });
});
