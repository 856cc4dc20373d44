import { readFileSync } from 'node:fs';
import { readAsset } from '../assets.js';
import { invalidConfiguration } from '../config/config-error.js';
import { TrustAnchors, type TrustAnchor } from '../crypto/x509/chain.js';
import { isKeywardError } from '../errors.js';

const shipped = new Map<string, TrustAnchor[]>();

/** Anchors from a PEM file shipped under assets/, read once per process; each named `name: <subject>`. */
export function shippedAnchors(relative: string, name: string): TrustAnchor[] {
  let anchors = shipped.get(relative);
  if (!anchors) shipped.set(relative, (anchors = TrustAnchors.fromPem(readAsset(relative), name)));
  return anchors;
}

/**
 * Every certificate in each configured PEM file becomes an anchor; a file that cannot be read,
 * holds a malformed certificate or none at all is a configuration mistake (ConfigError naming `option`).
 */
export function configuredAnchors(files: readonly string[], option: string): TrustAnchor[] {
  return files.flatMap((file) => {
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw invalidConfiguration(`${option}: cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    let anchors: TrustAnchor[];
    try {
      anchors = TrustAnchors.fromPem(pem, `configured root (${file})`);
    } catch (error) {
      if (!isKeywardError(error)) throw error;
      throw invalidConfiguration(`${option}: ${file}: ${error.message} (${error.detail ?? error.code})`, { cause: error });
    }
    if (anchors.length === 0) throw invalidConfiguration(`${option}: ${file} holds no PEM certificate`);
    return anchors;
  });
}
