import { sign, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { TrustAnchors, type TrustAnchor } from '../../crypto/x509/chain.js';
import { explicit, nullValue, octetString, sequence } from '../../crypto/asn1/der-writer.js';
import { NONCE_OID, OS_INFO_OID } from '../../attestation/apple/credential-certificate.js';
import { RECEIPT_SIGNER_OID } from '../../attestation/apple/receipt.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  randomSerial,
  type Signer,
} from '../../crypto/x509/certificate-builder.js';
import { spkiOf } from '../../crypto/keys.js';
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
  type CryptoKeyPair,
} from '../certificates.js';
import { signedReceipt, type ReceiptContent } from './receipt.js';

/** Long enough for any time a test pins; fixed, so no clock is read. */
const VALIDITY = { notBefore: new Date('2015-01-01T00:00:00Z'), notAfter: new Date('2060-01-01T00:00:00Z') };
/** Apple's credential certificates live three days around the attestation. */
const CREDENTIAL_LIFETIME_MS = 3 * 86_400_000;

export interface AppleTestAuthorityOptions {
  /** Give the receipt signer Apple's receipt-signing marker extension (default true; false makes receipts untrusted). */
  markReceiptSigner?: boolean;
  /**
   * 'generated' (default): fresh roots. 'shipped': the fixed test roots in assets/simulator (what
   * `--trust-simulator-roots` trusts), so a server and a separate simulator process agree.
   */
  roots?: 'generated' | 'shipped';
}

export interface CredentialCertificateRequest {
  /** The device key (WebCrypto), certified by the credential certificate. */
  publicKey: CryptoKeyPair['publicKey'];
  keyId: Uint8Array;
  nonce: Uint8Array;
  at: number;
  /** Omit to issue a certificate without the OS extension, as old OSes have. */
  os?: { version: string; build: string };
}

/**
 * A stand-in for Apple's App Attest and receipt CAs, for tests and demos only: an attestation
 * root and "CA 1" (P-384, as Apple's), and a receipt root → receipt CA → receipt signer (P-256).
 * Nothing it issues is trusted unless its anchors are passed to the verifier explicitly.
 */
export class AppleTestAuthority {
  private readonly intermediateDer: Buffer;
  private readonly intermediateSigner: Signer;

  private constructor(
    private readonly root: CertificateAuthority,
    intermediate: CertificateAuthority,
    private readonly receiptRoot: CertificateAuthority,
    private readonly receiptChain: Buffer[],
    private readonly receiptSigningKey: KeyObject,
  ) {
    this.intermediateDer = toDer(intermediate.certificate);
    this.intermediateSigner = signerOf(intermediate);
  }

  static async create(options: AppleTestAuthorityOptions = {}): Promise<AppleTestAuthority> {
    const shipped = options.roots === 'shipped';
    const root = shipped
      ? await shippedAuthority('apple-attestation-root')
      : await selfSignedAuthority('CN=Keyward Test App Attestation Root CA, O=Keyward Simulator', 'EC-P384', VALIDITY);
    const intermediate = await issueAuthority({
      issuer: root,
      subject: 'CN=Keyward Test App Attestation CA 1, O=Keyward Simulator',
      kind: 'EC-P384',
      ...VALIDITY,
    });
    const receiptRoot = shipped
      ? await shippedAuthority('apple-receipt-root')
      : await selfSignedAuthority('CN=Keyward Test Receipt Root CA, O=Keyward Simulator', 'EC-P384', VALIDITY);
    const receiptCa = await issueAuthority({
      issuer: receiptRoot,
      subject: 'CN=Keyward Test Receipt CA, O=Keyward Simulator',
      kind: 'EC-P256',
      ...VALIDITY,
    });
    const signerKeys = await generateKeys('EC-P256');
    const signer = await issueCertificate({
      issuer: receiptCa,
      subject: 'CN=Keyward Test Receipt Signing, O=Keyward Simulator',
      publicKey: signerKeys.publicKey,
      ...VALIDITY,
      extensions:
        options.markReceiptSigner === false ? [] : [new x509.Extension(RECEIPT_SIGNER_OID, false, nullValue())],
    });
    const chain = [toDer(signer), toDer(receiptCa.certificate), toDer(receiptRoot.certificate)];
    return new AppleTestAuthority(root, intermediate, receiptRoot, chain, nodeKey(signerKeys.privateKey));
  }

  /** The attestation root as PEM, e.g. for `apple.extraRootFiles` or `--extra-root`. */
  get rootPem(): string {
    return this.root.certificate.toString('pem');
  }

  get receiptRootPem(): string {
    return this.receiptRoot.certificate.toString('pem');
  }

  anchors(): TrustAnchor[] {
    return TrustAnchors.fromPem(this.rootPem, 'Keyward test App Attestation root');
  }

  receiptAnchors(): TrustAnchor[] {
    return TrustAnchors.fromPem(this.receiptRootPem, 'Keyward test receipt root');
  }

  /** [credCert, CA 1] as the attestation's x5c, built and signed synchronously (fast enough to drive load tests). */
  async credentialChain(request: CredentialCertificateRequest): Promise<Buffer[]> {
    const text = (value: string) => octetString(Buffer.from(value, 'utf8'));
    const spki = spkiOf(nodeKey(request.publicKey));
    const credential = buildCertificate(
      {
        serial: randomSerial(16),
        subjectDer: encodeName([
          ['2.5.4.3', Buffer.from(request.keyId).toString('hex')],
          ['2.5.4.11', 'Keyward Simulator'],
        ]),
        spki,
        notBefore: request.at - CREDENTIAL_LIFETIME_MS / 3,
        notAfter: request.at + (2 * CREDENTIAL_LIFETIME_MS) / 3,
        extensions: [
          extensions.basicConstraints(false),
          extensions.keyUsage(0),
          { oid: NONCE_OID, critical: false, value: sequence(explicit(1, octetString(request.nonce))) },
          ...(request.os
            ? [
                {
                  oid: OS_INFO_OID,
                  critical: false,
                  value: sequence(explicit(1400, text(request.os.version)), explicit(1403, text(request.os.build))),
                },
              ]
            : []),
        ],
      },
      this.intermediateSigner,
    );
    return [credential, this.intermediateDer];
  }

  /** A CMS receipt over `content`, signed like Apple's (no signed attributes), carrying signer, CA and root. */
  receipt(content: ReceiptContent): Buffer {
    return signedReceipt(content, this.receiptChain, (payload) =>
      sign('sha256', payload, { key: this.receiptSigningKey, dsaEncoding: 'der' }),
    );
  }
}
