import type { TrustAnchor } from '../../crypto/x509/chain.js';
import { shippedAnchors } from '../shipped-roots.js';

/** Google's hardware attestation roots: the RSA key's four certificates and Key Attestation CA1 (assets/roots). */
export const googleHardwareRoots = (): TrustAnchor[] => shippedAnchors('roots/google-hardware-attestation-roots.pem', 'Google hardware attestation root');

/** The software-attestation roots emulators and old devices chain to: recognised so they can be named, trusted only when allowed. */
export const googleSoftwareRoots = (): TrustAnchor[] => shippedAnchors('roots/google-software-attestation-roots.pem', 'Google software attestation root');
