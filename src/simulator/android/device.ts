import { randomBytes, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { readAsset } from '../../assets.js';
import { KEY_DESCRIPTION_OID } from '../../attestation/android/constants.js';
import {
  generateKeys,
  importKeys,
  issueAuthority,
  issueCertificate,
  nodeKey,
  selfSignedAuthority,
  toDer,
  type CertificateAuthority,
  type CryptoKeyPair,
  type KeyKind,
} from '../certificates.js';
import { encodeKeyDescription, type SimulatedRecord } from './key-description-encoder.js';

const DAY = 86_400_000;

export interface AndroidSimulatorOptions {
  /** 'shipped': the fixed test root in assets/simulator (what `--trust-simulator-roots` trusts); 'generated': a fresh one. */
  root?: 'shipped' | 'generated';
  /** Remotely provisioned shape (Droid CA2 → Droid CA3 → short-lived device certificate) instead of factory (batch intermediates). */
  rkp?: boolean;
  /** Time the chain is made for (certificate validity is set around it). */
  at?: number;
  /** Hex serials for the intermediates, top first (to exercise revocation). */
  intermediateSerials?: string[];
}

export interface SimulatedAttestation {
  /** DER certificates, leaf first, ending with the test root. */
  chain: Buffer[];
  /** The attested key pair (to sign CSRs or requests with). */
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * A software Android device that produces KeyMint-shaped attestation chains under a test root
 * — trusted only where a verifier is configured with that root. For tests and demos only.
 */
export class AndroidDeviceSimulator {
  private constructor(
    readonly root: CertificateAuthority,
    private readonly attestationAuthority: CertificateAuthority,
    private readonly intermediates: x509.X509Certificate[],
  ) {}

  /** PEM of the test root: configure it as an extra trust anchor to accept this simulator's chains. */
  get rootPem(): string {
    return this.root.certificate.toString('pem');
  }

  static async create(options: AndroidSimulatorOptions = {}): Promise<AndroidDeviceSimulator> {
    const at = options.at ?? Date.now();
    const serials = options.intermediateSerials ?? [];
    const root =
      options.root === 'generated'
        ? await selfSignedAuthority('CN=Keyward Simulated Android Root, O=Keyward Test', 'EC-P384', { notBefore: new Date(at - 3650 * DAY), notAfter: new Date(at + 3650 * DAY) })
        : await shippedRoot();
    const longLived = { notBefore: new Date(at - 365 * DAY), notAfter: new Date(at + 3650 * DAY) };
    const shortLived = { notBefore: new Date(at - DAY), notAfter: new Date(at + 30 * DAY) };
    const chain: CertificateAuthority[] = [];
    const names = options.rkp
      ? [
          { subject: 'O=Google LLC, CN=Droid CA2', validity: longLived },
          { subject: 'O=Google LLC, CN=Droid CA3', validity: shortLived },
          { subject: `O=TEE, CN=${randomBytes(16).toString('hex')}`, validity: shortLived },
        ]
      : [
          // title=TEE, serialNumber=… (by OID: @peculiar/x509 has no short name for serialNumber)
          { subject: `2.5.4.12=TEE, 2.5.4.5=${randomBytes(8).toString('hex')}`, validity: longLived },
          { subject: `2.5.4.12=TEE, 2.5.4.5=${randomBytes(16).toString('hex')}`, validity: longLived },
        ];
    let issuer = root;
    for (const [index, name] of names.entries()) {
      const serialNumber = serials[index];
      issuer = await issueAuthority({
        issuer,
        subject: name.subject,
        kind: 'EC-P256',
        ...name.validity,
        ...(serialNumber ? { serialNumber } : {}),
      });
      chain.push(issuer);
    }
    return new AndroidDeviceSimulator(root, issuer, chain.map((authority) => authority.certificate).reverse());
  }

  /**
   * Generates a key "in the TEE" and returns its attestation chain with `record` in the leaf.
   * With `attestKey`, the leaf is attested by an app-generated attestation key whose own
   * certificate (carrying that record) sits between the leaf and the device's chain.
   */
  async attest(record: SimulatedRecord, options: { key?: KeyKind; at?: number; attestKey?: SimulatedRecord } = {}): Promise<SimulatedAttestation> {
    const at = options.at ?? Date.now();
    let issuer = this.attestationAuthority;
    const above: x509.X509Certificate[] = [];
    if (options.attestKey) {
      const attestKeys = await generateKeys('EC-P256');
      const certificate = await this.keyCertificate(this.attestationAuthority, attestKeys.publicKey, 'EC-P256', options.attestKey, at);
      issuer = { certificate, keys: attestKeys };
      above.push(certificate);
    }
    const kind = options.key ?? 'EC-P256';
    const keys = await generateKeys(kind);
    const leaf = await this.keyCertificate(issuer, keys.publicKey, kind, record, at);
    return {
      chain: [leaf, ...above, ...this.intermediates, this.root.certificate].map(toDer),
      privateKey: nodeKey(keys.privateKey),
      publicKey: nodeKey(keys.publicKey),
    };
  }

  private keyCertificate(issuer: CertificateAuthority, publicKey: CryptoKeyPair['publicKey'], kind: KeyKind, record: SimulatedRecord, at: number) {
    const keyAlgorithm = kind === 'RSA-2048' ? { algorithm: 1, keySize: 2048 } : { algorithm: 3, keySize: kind === 'EC-P384' ? 384 : 256, ecCurve: kind === 'EC-P384' ? 2 : 1 };
    return issueCertificate({
      issuer,
      subject: 'CN=Android Keystore Key',
      publicKey,
      notBefore: new Date(0),
      notAfter: new Date(Date.UTC(2048, 0, 1)),
      serialNumber: '01',
      extensions: [new x509.Extension(KEY_DESCRIPTION_OID, false, encodeKeyDescription({ keyAlgorithm, ...record }, at))],
    });
  }
}

let shipped: Promise<CertificateAuthority> | undefined;

/** The fixed simulator root (assets/simulator): its private key is public by design, so only a deployment that opts in trusts it. */
function shippedRoot(): Promise<CertificateAuthority> {
  shipped ??= (async () => {
    const certificate = new x509.X509Certificate(readAsset('simulator/android-root.pem'));
    return { certificate, keys: await importKeys(readAsset('simulator/android-root.key.pem'), certificate) };
  })();
  return shipped;
}
