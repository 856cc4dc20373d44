import type { TrustAnchor } from '../../crypto/x509/chain.js';
import { shippedAnchors } from '../shipped-roots.js';

/** Apple App Attestation Root CA (assets/roots): every credential certificate chains to it through "Apple App Attestation CA 1". */
export const appleAppAttestationRoot = (): TrustAnchor[] => shippedAnchors('roots/apple-app-attestation-root-ca.pem', 'Apple App Attestation Root CA');

/** Apple Root CA - G3 (assets/roots): App Attest receipts are signed under it. */
export const appleRootG3 = (): TrustAnchor[] => shippedAnchors('roots/apple-root-ca-g3.pem', 'Apple Root CA - G3');
