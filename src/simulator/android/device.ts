import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { KEY_DESCRIPTION_OID, KEY_PURPOSE } from '../../attestation/android/constants.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { buildCertificate, encodeName, keyIdentifier, type Signer } from '../../crypto/x509/certificate-builder.js';
import { spkiOf } from '../../crypto/keys.js';
import {
  issueAuthority,
  selfSignedAuthority,
  shippedAuthority,
  signerOf,
  toDer,
  type CertificateAuthority,
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
  private readonly attestationSigner: Signer;
  /** The device's chain above its keys: intermediates, then the root. */
  private readonly chainTail: Buffer[];

  private constructor(
    readonly root: CertificateAuthority,
    attestationAuthority: CertificateAuthority,
    intermediates: x509.X509Certificate[],
    private readonly rkp: boolean,
  ) {
    this.attestationSigner = signerOf(attestationAuthority);
    this.chainTail = [...intermediates, root.certificate].map(toDer);
  }

  /**
   * SHA-256 (hex) of the simulated Droid CA2's SPKI (RKP shape only): add it to android.rkpKeys
   * for its chains to count as remotely provisioned.
   */
  get rkpKey(): string | undefined {
    const ca2 = this.chainTail.at(-2);
    return this.rkp && ca2 ? parseCertificate(ca2).spkiFingerprint : undefined;
  }

  /** PEM of the test root: configure it as an extra trust anchor to accept this simulator's chains. */
  get rootPem(): string {
    return this.root.certificate.toString('pem');
  }

  static async create(options: AndroidSimulatorOptions = {}): Promise<AndroidDeviceSimulator> {
    const at = options.at ?? Date.now();
    const serials = options.intermediateSerials ?? [];
    const root =
      options.root === 'generated'
        ? await selfSignedAuthority('CN=Keyward Simulated Android Root, O=Keyward Test', 'EC-P384', {
            notBefore: new Date(at - 3650 * DAY),
            notAfter: new Date(at + 3650 * DAY),
          })
        : await shippedAuthority('android-root');
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
    return new AndroidDeviceSimulator(
      root,
      issuer,
      chain.map((authority) => authority.certificate).reverse(),
      options.rkp === true,
    );
  }

  /**
   * Generates a key "in the TEE" and returns its attestation chain with `record` in the leaf.
   * With `attestKey`, the leaf is attested by an app-generated attestation key whose own
   * certificate (carrying that record) sits between the leaf and the device's chain. Per-key
   * certificates are built and signed synchronously (fast enough to drive load tests).
   */
  async attest(
    record: SimulatedRecord,
    options: { key?: KeyKind; at?: number; attestKey?: SimulatedRecord } = {},
  ): Promise<SimulatedAttestation> {
    const at = options.at ?? Date.now();
    let issuer = this.attestationSigner;
    const above: Buffer[] = [];
    if (options.attestKey) {
      const attestKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const spki = spkiOf(attestKeys.publicKey);
      above.push(
        keyCertificate(issuer, spki, 'EC-P256', { purposes: [KEY_PURPOSE.ATTEST_KEY], ...options.attestKey }, at),
      );
      issuer = { key: attestKeys.privateKey, subjectDer: KEY_SUBJECT, keyIdentifier: keyIdentifier(spki) };
    }
    const kind = options.key ?? 'EC-P256';
    const keys =
      kind === 'RSA-2048'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: kind === 'EC-P384' ? 'P-384' : 'P-256' });
    const leaf = keyCertificate(issuer, spkiOf(keys.publicKey), kind, record, at);
    return { chain: [leaf, ...above, ...this.chainTail], privateKey: keys.privateKey, publicKey: keys.publicKey };
  }
}

const KEY_SUBJECT = encodeName([['2.5.4.3', 'Android Keystore Key']]);

/** A KeyMint key certificate: serial 1, validity 1970–2048 as devices write it, the attestation record as extension. */
function keyCertificate(issuer: Signer, spki: Buffer, kind: KeyKind, record: SimulatedRecord, at: number): Buffer {
  const keyAlgorithm =
    kind === 'RSA-2048'
      ? { algorithm: 1, keySize: 2048 }
      : { algorithm: 3, keySize: kind === 'EC-P384' ? 384 : 256, ecCurve: kind === 'EC-P384' ? 2 : 1 };
  return buildCertificate(
    {
      serial: Buffer.of(1),
      subjectDer: KEY_SUBJECT,
      spki,
      notBefore: 0,
      notAfter: Date.UTC(2048, 0, 1),
      extensions: [
        { oid: KEY_DESCRIPTION_OID, critical: false, value: encodeKeyDescription({ keyAlgorithm, ...record }, at) },
      ],
    },
    issuer,
  );
}
