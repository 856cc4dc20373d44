import { createHash, type KeyObject, randomBytes } from 'node:crypto';
import * as der from '../../crypto/asn1/der-writer.js';
import {
  buildCertificate,
  encodeName,
  type Extension,
  extensions,
  keyIdentifier,
} from '../../crypto/x509/certificate-builder.js';
import { spkiOf } from '../../crypto/keys.js';
import { PROOF_OF_BINDING_OID } from '../../features/provisioning/protocol/auth-key-certificates.js';
import { encodeInOrder } from './wire.js';

/**
 * An auth-key certificate as the Identity Credential HAL makes one (generateSigningKeyPair):
 * the auth key's certificate signed by the CredentialKey, serial 1, issuer "Android Identity
 * Credential Key", subject "Android Identity Credential Authentication Key", valid for a year,
 * with ProofOfBinding = ["ProofOfBinding", SHA-256(ProofOfProvisioning payload)] under
 * OID 1.3.6.1.4.1.11129.2.1.26.
 *
 * Placement of ProofOfBinding (both accepted by Keyward, see auth-key-certificates.ts):
 * - 'octet-string' (the HAL: X509_add1_ext_i2d of an ASN1_OCTET_STRING): extnValue holds a DER
 *   OCTET STRING whose content is the CBOR;
 * - 'raw' (the reference server's early tests): the CBOR directly in extnValue.
 * Negative variants: 'none' leaves the extension out, 'wrong-hash' binds another payload.
 */
export type ProofOfBindingVariant = 'octet-string' | 'raw' | 'none' | 'wrong-hash';

const ISSUER = encodeName([['2.5.4.3', 'Android Identity Credential Key']]);
const SUBJECT = encodeName([['2.5.4.3', 'Android Identity Credential Authentication Key']]);
const YEAR = 365 * 86_400_000;

export interface AuthKeyCertificateRequest {
  /** The auth key (public). */
  authKey: KeyObject;
  /** The CredentialKey (private) that signs the certificate. */
  credentialKey: KeyObject;
  /** The exact ProofOfProvisioning payload the credential was provisioned with. */
  proofOfProvisioningPayload: Uint8Array;
  variant?: ProofOfBindingVariant;
  /** notBefore, epoch ms (notAfter one year later). */
  at: number;
}

/** ProofOfBinding's CBOR for `proofOfProvisioningPayload`. */
export const proofOfBinding = (proofOfProvisioningPayload: Uint8Array): Uint8Array =>
  encodeInOrder(['ProofOfBinding', new Uint8Array(createHash('sha256').update(proofOfProvisioningPayload).digest())]);

export function authKeyCertificate(request: AuthKeyCertificateRequest): Buffer {
  const variant = request.variant ?? 'octet-string';
  const list: Extension[] = [];
  if (variant === 'none') {
    // A certificate needs at least one extension in a v3 extensions list.
    list.push(extensions.keyUsage(0));
  } else {
    const bound = variant === 'wrong-hash' ? randomBytes(64) : request.proofOfProvisioningPayload;
    const cbor = proofOfBinding(bound);
    list.push({ oid: PROOF_OF_BINDING_OID, critical: false, value: variant === 'raw' ? cbor : der.octetString(cbor) });
  }
  const notBefore = Math.floor(request.at / 1000) * 1000;
  return buildCertificate(
    {
      serial: Buffer.of(1),
      subjectDer: SUBJECT,
      spki: spkiOf(request.authKey),
      notBefore,
      notAfter: notBefore + YEAR,
      extensions: list,
    },
    {
      key: request.credentialKey,
      subjectDer: ISSUER,
      keyIdentifier: keyIdentifier(spkiOf(request.credentialKey)),
    },
  );
}
