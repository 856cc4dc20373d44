import { readFileSync } from 'node:fs';
import { readAsset } from '../assets.js';
import { TrustAnchors, type TrustAnchor } from '../crypto/chain.js';

const shipped = new Map<string, TrustAnchor[]>();

/** Anchors from a PEM file shipped under assets/, read once per process; each named `name: <subject>`. */
export function shippedAnchors(relative: string, name: string): TrustAnchor[] {
  let anchors = shipped.get(relative);
  if (!anchors) shipped.set(relative, (anchors = TrustAnchors.fromPem(readAsset(relative), name)));
  return anchors;
}

/** Every certificate in each configured PEM file becomes an anchor; a file without certificates is a configuration mistake (TypeError naming `option`). */
export function configuredAnchors(files: readonly string[], option: string): TrustAnchor[] {
  return files.flatMap((file) => {
    const anchors = TrustAnchors.fromPem(readFileSync(file, 'utf8'), `configured root (${file})`);
    if (anchors.length === 0) throw new TypeError(`${option}: ${file} holds no PEM certificate`);
    return anchors;
  });
}
