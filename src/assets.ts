import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TrustAnchors, type TrustAnchor } from './crypto/x509/chain.js';

/** Files shipped under assets/ (trust anchors); this module runs from src/ under tests and from dist/src/ when built. */
export function assetPath(relative: string): string {
  for (const base of ['../assets/', '../../assets/']) {
    const path = fileURLToPath(new URL(base + relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new TypeError(`missing asset ${relative}`);
}

export const readAsset = (relative: string) => readFileSync(assetPath(relative), 'utf8');

const shipped = new Map<string, TrustAnchor[]>();

/** Anchors from a PEM file shipped under assets/, read once per process; each named `name: <subject>`. */
export function shippedAnchors(relative: string, name: string): TrustAnchor[] {
  let anchors = shipped.get(relative);
  if (!anchors) shipped.set(relative, (anchors = TrustAnchors.fromPem(readAsset(relative), name)));
  return anchors;
}
