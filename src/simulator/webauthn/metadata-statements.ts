import { keyIdentifier } from '../../crypto/x509/certificate-builder.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { COSE_ALGORITHM_IDS, type CoseAlgorithmName } from './credential-key.js';
import { SIMULATED_MODELS, type SimulatedModel } from './models.js';

/** FIDO Registry authentication algorithm names (the raw signature encodings FIDO2 statements use). */
const ALG_SIGN: Record<CoseAlgorithmName, string> = {
  ES256: 'secp256r1_ecdsa_sha256_raw',
  ES384: 'secp384r1_ecdsa_sha384_raw',
  RS256: 'rsassa_pkcsv15_sha256_raw',
  PS256: 'rsassa_pss_sha256_raw',
  EdDSA: 'ed25519_eddsa_sha512_raw',
};

const LEGAL_HEADER =
  'TEST ONLY. Metadata of the Keyward simulator: the private keys of its roots are published, so anyone can make ' +
  'attestations these statements vouch for. Never trust them outside tests and demos.';

/** The DER roots the statements name: the WebAuthn test root (packed, tpm, fido-u2f), the Android and Apple test roots. */
export interface StatementRoots {
  webauthn: Uint8Array;
  android: Uint8Array;
  apple: Uint8Array;
  /** The U2F batch attestation certificate (its key identifier names the U2F model). */
  u2fCertificate: Uint8Array;
}

/** MDS3 key identifier: hex SHA-1 of the certificate's subjectPublicKey bits. */
export const u2fKeyIdentifier = (certificate: Uint8Array): string =>
  keyIdentifier(parseCertificate(Buffer.from(certificate)).spki).toString('hex');

/** The MDS3 metadataStatement of a simulated model (FIDO Metadata Statement v3.0, fields in its order). */
export function metadataStatement(model: SimulatedModel, roots: StatementRoots): Record<string, unknown> {
  const described = SIMULATED_MODELS[model];
  const u2f = model === 'fido-u2f';
  const platform = described.attachment === 'platform';
  const rootOf: Record<SimulatedModel, Uint8Array | undefined> = {
    packed: roots.webauthn,
    'packed-self': undefined,
    tpm: roots.webauthn,
    'android-key': roots.android,
    apple: roots.apple,
    'fido-u2f': roots.webauthn,
    none: undefined,
  };
  const root = rootOf[model];
  return {
    legalHeader: LEGAL_HEADER,
    ...(u2f
      ? { attestationCertificateKeyIdentifiers: [u2fKeyIdentifier(roots.u2fCertificate)] }
      : { aaguid: described.aaguid }),
    description: described.description,
    authenticatorVersion: 1,
    protocolFamily: u2f ? 'u2f' : 'fido2',
    schema: 3,
    upv: u2f
      ? [{ major: 1, minor: 1 }]
      : [
          { major: 1, minor: 0 },
          { major: 1, minor: 1 },
        ],
    authenticationAlgorithms: described.algorithms.map((algorithm) => ALG_SIGN[algorithm]),
    publicKeyAlgAndEncodings: [u2f ? 'ecc_x962_raw' : 'cose'],
    attestationTypes: [...described.attestationTypes],
    userVerificationDetails: [
      [{ userVerificationMethod: 'presence_internal' }],
      ...(u2f ? [] : [[{ userVerificationMethod: 'passcode_internal' }]]),
    ],
    keyProtection: ['software'],
    matcherProtection: ['software'],
    attachmentHint: platform ? ['internal'] : ['external', 'wired'],
    tcDisplay: [],
    attestationRootCertificates: root ? [Buffer.from(root).toString('base64')] : [],
    ...(u2f
      ? {}
      : {
          authenticatorGetInfo: {
            versions: ['FIDO_2_0', 'FIDO_2_1'],
            aaguid: described.aaguid.replace(/-/g, ''),
            options: { plat: platform, rk: true, up: true, uv: true },
            transports: [...described.transports],
            algorithms: described.algorithms.map((algorithm) => ({
              type: 'public-key',
              alg: COSE_ALGORITHM_IDS[algorithm],
            })),
          },
        }),
  };
}
