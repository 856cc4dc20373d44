import { readFileSync } from 'node:fs';
import { shippedAnchors } from '../assets.js';
import { TrustAnchors, type TrustAnchor } from '../crypto/x509/chain.js';
import { isKeywardError } from '../errors.js';
import { invalidConfiguration } from './config-error.js';

/** Google's hardware attestation roots: the RSA key's four certificates and Key Attestation CA1 (assets/roots; android.googleRoots). */
export const googleHardwareRoots = (): TrustAnchor[] =>
  shippedAnchors('roots/google-hardware-attestation-roots.pem', 'Google hardware attestation root');

/** The software-attestation roots emulators and old devices chain to: recognised so they can be named, trusted only when allowed. */
export const googleSoftwareRoots = (): TrustAnchor[] =>
  shippedAnchors('roots/google-software-attestation-roots.pem', 'Google software attestation root');

/** Apple App Attestation Root CA (assets/roots; apple.appleRoots): every credential certificate chains to it through "Apple App Attestation CA 1". */
export const appleAppAttestationRoot = (): TrustAnchor[] =>
  shippedAnchors('roots/apple-app-attestation-root-ca.pem', 'Apple App Attestation Root CA');

/** Apple Root CA - G3 (assets/roots; apple.appleRoots): App Attest receipts are signed under it. */
export const appleRootG3 = (): TrustAnchor[] => shippedAnchors('roots/apple-root-ca-g3.pem', 'Apple Root CA - G3');

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
      throw invalidConfiguration(`${option}: ${file}: ${error.message} (${error.detail ?? error.code})`, {
        cause: error,
      });
    }
    if (anchors.length === 0) throw invalidConfiguration(`${option}: ${file} holds no PEM certificate`);
    return anchors;
  });
}
