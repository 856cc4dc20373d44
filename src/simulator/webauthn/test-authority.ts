import { createHash, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { NONCE_OID } from '../../attestation/apple/credential-certificate.js';
import { AAGUID_EXTENSION_OID } from '../../attestation/webauthn/formats/packed.js';
import {
  TCG_AT_TPM_MANUFACTURER,
  TCG_AT_TPM_MODEL,
  TCG_AT_TPM_VERSION,
  TCG_KP_AIK_CERTIFICATE,
} from '../../attestation/webauthn/formats/tpm.js';
import * as der from '../../crypto/asn1/der-writer.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  randomSerial,
  type Extension,
  type Signer,
} from '../../crypto/x509/certificate-builder.js';
import {
  generateKeys,
  issueAuthority,
  issueCertificate,
  nodeKey,
  selfSignedAuthority,
  shippedAuthority,
  signerOf,
  toDer,
  type CertificateAuthority,
} from '../certificates.js';

const DAY = 86_400_000;
/** Long enough for any time a test pins; fixed, so no clock is read. */
export const CA_VALIDITY = { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2050-01-01T00:00:00Z') };

export const ROOT_SUBJECT = 'CN=Keyward Simulator WebAuthn Root (TEST ONLY), O=Keyward Test';
export const APPLE_ROOT_SUBJECT = 'CN=Keyward Simulator Apple WebAuthn Root (TEST ONLY), O=Keyward Test';
export const U2F_SUBJECT = 'CN=Keyward Simulator U2F Attestation (TEST ONLY), O=Keyward Test';
const INTERMEDIATE_SUBJECT = 'CN=Keyward Simulator WebAuthn Attestation CA (TEST ONLY), O=Keyward Test';
const APPLE_INTERMEDIATE_SUBJECT = 'CN=Keyward Simulator Apple WebAuthn CA 1 (TEST ONLY), O=Keyward Test';

/** The FIDO Alliance's TPM vendor id, which conformance tools use for test TPMs. */
export const SIMULATED_TPM_MANUFACTURER = 'id:FFFFF1D0';

const aaguidExtension = (aaguid: Uint8Array): Extension => ({
  oid: AAGUID_EXTENSION_OID,
  critical: false,
  value: der.octetString(aaguid),
});

/** subjectAltName with one directoryName: the TPM's manufacturer, model and version (TCG EK Credential Profile, UTF8String values). */
function tpmSubjectAltName(model: string, version: string): Extension {
  const rdn = (oid: string, value: string) => der.setOf(der.sequence(der.oid(oid), der.utf8String(value)));
  const name = der.sequence(
    rdn(TCG_AT_TPM_MANUFACTURER, SIMULATED_TPM_MANUFACTURER),
    rdn(TCG_AT_TPM_MODEL, model),
    rdn(TCG_AT_TPM_VERSION, version),
  );
  return { oid: '2.5.29.17', critical: true, value: der.sequence(der.element(2, true, 4, name)) };
}

export interface WebAuthnTestAuthorityOptions {
  /**
   * 'shipped' (default): the fixed roots in assets/simulator (what `--trust-simulator-roots`
   * trusts and the simulator metadata statements name); 'generated': fresh roots nobody trusts.
   */
  roots?: 'shipped' | 'generated';
}

/**
 * Stand-ins for the CAs behind WebAuthn attestations, for tests and demos only: a WebAuthn
 * root with an attestation CA (packed and TPM AIK certificates) and the U2F attestation
 * certificate, and an "Apple WebAuthn" root with its CA 1 (anonymous apple certificates).
 * Certificates for keys are built and signed synchronously.
 */
export class WebAuthnTestAuthority {
  private static shippedInstance: Promise<WebAuthnTestAuthority> | undefined;
  /** The attestation CA's certificate (DER), sent in x5c after the leaf. */
  readonly intermediate: Buffer;
  readonly appleIntermediate: Buffer;
  private readonly signer: Signer;
  private readonly appleSigner: Signer;

  private constructor(
    readonly root: CertificateAuthority,
    readonly appleRoot: CertificateAuthority,
    intermediate: CertificateAuthority,
    appleIntermediate: CertificateAuthority,
    /** The U2F batch attestation certificate (DER), issued by the root. */
    readonly u2fCertificate: Buffer,
    readonly u2fKey: KeyObject,
  ) {
    this.intermediate = toDer(intermediate.certificate);
    this.appleIntermediate = toDer(appleIntermediate.certificate);
    this.signer = signerOf(intermediate);
    this.appleSigner = signerOf(appleIntermediate);
  }

  /** Shipped roots are read once per process and share one pair of runtime intermediates. */
  static create(options: WebAuthnTestAuthorityOptions = {}): Promise<WebAuthnTestAuthority> {
    if (options.roots === 'generated') return WebAuthnTestAuthority.build(false);
    WebAuthnTestAuthority.shippedInstance ??= WebAuthnTestAuthority.build(true);
    return WebAuthnTestAuthority.shippedInstance;
  }

  private static async build(shipped: boolean): Promise<WebAuthnTestAuthority> {
    const [root, appleRoot] = shipped
      ? await Promise.all([shippedAuthority('webauthn-root'), shippedAuthority('webauthn-apple-root')])
      : await Promise.all([
          selfSignedAuthority(ROOT_SUBJECT, 'EC-P384', CA_VALIDITY),
          selfSignedAuthority(APPLE_ROOT_SUBJECT, 'EC-P384', CA_VALIDITY),
        ]);
    const [intermediate, appleIntermediate, u2f] = await Promise.all([
      issueAuthority({ issuer: root, subject: INTERMEDIATE_SUBJECT, kind: 'EC-P256', ...CA_VALIDITY }),
      issueAuthority({ issuer: appleRoot, subject: APPLE_INTERMEDIATE_SUBJECT, kind: 'EC-P384', ...CA_VALIDITY }),
      shipped ? shippedAuthority('webauthn-u2f-attestation') : issueU2fAttestation(root),
    ]);
    return new WebAuthnTestAuthority(
      root,
      appleRoot,
      intermediate,
      appleIntermediate,
      toDer(u2f.certificate),
      nodeKey(u2f.keys.privateKey),
    );
  }

  get rootDer(): Buffer {
    return toDer(this.root.certificate);
  }

  get appleRootDer(): Buffer {
    return toDer(this.appleRoot.certificate);
  }

  /** A packed attestation certificate (WebAuthn §8.2.1): C, O, OU "Authenticator Attestation", CN; not a CA; the AAGUID. */
  packedCertificate(spki: Uint8Array, aaguid: Uint8Array, at: number): Buffer {
    return buildCertificate(
      {
        serial: randomSerial(16),
        subjectDer: encodeName([
          ['2.5.4.6', 'AT'],
          ['2.5.4.10', 'Keyward Test'],
          ['2.5.4.11', 'Authenticator Attestation'],
          ['2.5.4.3', 'Keyward Simulator Packed Attestation (TEST ONLY)'],
        ]),
        spki,
        notBefore: at - 365 * DAY,
        notAfter: at + 3650 * DAY,
        extensions: [
          extensions.basicConstraints(false),
          extensions.authorityKeyIdentifier(this.signer.keyIdentifier),
          aaguidExtension(aaguid),
        ],
      },
      this.signer,
    );
  }

  /**
   * A TPM AIK certificate (WebAuthn §8.3.1): version 3, empty subject, a critical subjectAltName
   * naming the TPM, extended key usage tcg-kp-AIKCertificate, not a CA, the AAGUID.
   */
  aikCertificate(spki: Uint8Array, aaguid: Uint8Array, at: number): Buffer {
    return buildCertificate(
      {
        serial: randomSerial(16),
        subjectDer: der.sequence(),
        spki,
        notBefore: at - 365 * DAY,
        notAfter: at + 3650 * DAY,
        extensions: [
          extensions.basicConstraints(false),
          extensions.keyUsage(0),
          tpmSubjectAltName('Keyward Simulated TPM', 'id:13'),
          { ...extensions.extendedKeyUsage(TCG_KP_AIK_CERTIFICATE), critical: false },
          extensions.authorityKeyIdentifier(this.signer.keyIdentifier),
          aaguidExtension(aaguid),
        ],
      },
      this.signer,
    );
  }

  /** Apple's anonymous credential certificate: the credential key, with the nonce extension; valid for three days around `at`. */
  appleCredentialCertificate(spki: Uint8Array, nonce: Uint8Array, at: number): Buffer {
    return buildCertificate(
      {
        serial: randomSerial(16),
        subjectDer: encodeName([
          ['2.5.4.3', createHash('sha256').update(spki).digest('hex')],
          ['2.5.4.11', 'AAA Certification'],
          ['2.5.4.10', 'Keyward Test'],
        ]),
        spki,
        notBefore: at - DAY,
        notAfter: at + 2 * DAY,
        extensions: [
          extensions.basicConstraints(false),
          extensions.keyUsage(0),
          { oid: NONCE_OID, critical: false, value: der.sequence(der.explicit(1, der.octetString(nonce))) },
        ],
      },
      this.appleSigner,
    );
  }
}

/** The U2F batch attestation certificate: one P-256 key, issued directly by the root (U2F sends a single certificate). */
export async function issueU2fAttestation(root: CertificateAuthority): Promise<CertificateAuthority> {
  const keys = await generateKeys('EC-P256');
  const certificate = await issueCertificate({
    issuer: root,
    subject: U2F_SUBJECT,
    publicKey: keys.publicKey,
    ...CA_VALIDITY,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(root.keys.publicKey),
    ],
  });
  return { certificate, keys };
}
