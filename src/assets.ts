import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Files shipped under assets/ (trust anchors); this module runs from src/ under tests and from dist/src/ when built. */
export function assetPath(relative: string): string {
  for (const base of ['../assets/', '../../assets/']) {
    const path = fileURLToPath(new URL(base + relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new TypeError(`missing asset ${relative}`);
}

export const readAsset = (relative: string) => readFileSync(assetPath(relative), 'utf8');
