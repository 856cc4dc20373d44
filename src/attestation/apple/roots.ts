import { readFileSync } from 'node:fs';
import { readAsset } from '../../assets.js';
import { TrustAnchors, type TrustAnchor } from '../../crypto/chain.js';

let attestationRoot: TrustAnchor[] | undefined;
let receiptRoot: TrustAnchor[] | undefined;

/** Apple App Attestation Root CA (assets/roots): every credential certificate chains to it through "Apple App Attestation CA 1". */
export const appleAppAttestationRoot = () =>
  (attestationRoot ??= TrustAnchors.fromPem(readAsset('roots/apple-app-attestation-root-ca.pem'), 'Apple App Attestation Root CA'));

/** Apple Root CA - G3 (assets/roots): App Attest receipts are signed under it. */
export const appleRootG3 = () => (receiptRoot ??= TrustAnchors.fromPem(readAsset('roots/apple-root-ca-g3.pem'), 'Apple Root CA - G3'));

/** Every certificate in each PEM file becomes an anchor; a file without certificates is a configuration mistake. */
export function anchorsFromPemFiles(files: readonly string[], option: string): TrustAnchor[] {
  return files.flatMap((file) => {
    const anchors = TrustAnchors.fromPem(readFileSync(file, 'utf8'), `configured root (${file})`);
    if (anchors.length === 0) throw new TypeError(`${option}: ${file} holds no PEM certificate`);
    return anchors;
  });
}
