import { readFileSync } from 'node:fs';
import { readAsset } from '../../assets.js';
import { TrustAnchors, type TrustAnchor } from '../../crypto/chain.js';

let hardware: TrustAnchor[] | undefined;
let software: TrustAnchor[] | undefined;

/** Google's hardware attestation roots: the RSA key's four certificates and Key Attestation CA1 (assets/roots). */
export const googleHardwareRoots = () =>
  (hardware ??= TrustAnchors.fromPem(readAsset('roots/google-hardware-attestation-roots.pem'), 'Google hardware attestation root'));

/** The software-attestation roots emulators and old devices chain to: recognised so they can be named, trusted only when allowed. */
export const googleSoftwareRoots = () =>
  (software ??= TrustAnchors.fromPem(readAsset('roots/google-software-attestation-roots.pem'), 'Google software attestation root'));

export function anchorsFromFiles(files: readonly string[]): TrustAnchor[] {
  return files.flatMap((file) => TrustAnchors.fromPem(readFileSync(file, 'utf8'), `configured root (${file})`));
}
