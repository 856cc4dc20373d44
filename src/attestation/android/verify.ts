import { timingSafeEqual } from 'node:crypto';
import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { assertChainLength } from '../../crypto/x509/chain.js';
import { contentError } from '../../errors.js';
import { describeKey } from '../attested-key.js';
import type { AttestationResult, SecurityLevel } from '../result.js';
import { verifyAndroidChain, type AndroidChain, type AndroidChainOptions } from './chain.js';
import { KEY_DESCRIPTION_OID, type AndroidSecurityLevel } from './constants.js';
import {
  assertNoConflictingFacts,
  challengeBytes,
  isKnownAttestationVersion,
  parseKeyDescription,
  type KeyDescription,
} from './key-description.js';
import { checkAttestKey, checkDevice, checkKeyAndApp, enforcedFact, fact, type AndroidPolicy } from './policy.js';
import type { StatusListProvider } from './revocation.js';

export interface AndroidVerifierOptions extends AndroidChainOptions {
  strictEncoding: boolean;
  /** Absent: revocation is not checked. */
  statusList?: StatusListProvider;
  policy: AndroidPolicy;
}

export interface AndroidAttestationInput {
  /** DER certificates, leaf first. */
  chain: readonly Uint8Array[];
  /** The challenge the server issued; must equal attestationChallenge. */
  challenge: Uint8Array;
  /** Verification time, epoch ms. */
  at: number;
  /** Replaces the verifier's default policy (named policies). */
  policy?: AndroidPolicy;
}

const SECURITY_LEVEL: Record<AndroidSecurityLevel, SecurityLevel> = {
  SOFTWARE: 'software',
  TRUSTED_ENVIRONMENT: 'trusted-environment',
  STRONG_BOX: 'strongbox',
};

const BOOT_STATE = {
  VERIFIED: 'verified',
  SELF_SIGNED: 'self-signed',
  UNVERIFIED: 'unverified',
  FAILED: 'failed',
} as const;

const osVersionText = (version: number | undefined) =>
  version === undefined || version <= 0
    ? undefined
    : `${Math.floor(version / 10000)}.${Math.floor(version / 100) % 100}.${version % 100}`;

function dateText(level: number | undefined): string | undefined {
  if (level === undefined || level <= 0) return undefined;
  const text = String(level);
  if (text.length === 6) return `${text.slice(0, 4)}-${text.slice(4, 6)}`;
  if (text.length === 8) return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
  return text;
}

interface CertificateFacts {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
}

/** Described once per certificate: intermediates recur on every request. */
const described = new WeakMap<ParsedCertificate, CertificateFacts>();
function certificateFacts(certificate: ParsedCertificate): CertificateFacts {
  let facts = described.get(certificate);
  if (!facts) {
    facts = {
      subject: certificate.subject,
      issuer: certificate.issuer,
      serial: certificate.serial,
      notBefore: new Date(certificate.notBefore).toISOString(),
      notAfter: new Date(certificate.notAfter).toISOString(),
    };
    described.set(certificate, facts);
  }
  return facts;
}

/** The highest certificate of the unbroken run of record-carrying certificates from the leaf: the ones KeyMint made. */
function keyMintTop(records: readonly { index: number }[]): number {
  let top = 0;
  while (records[top + 1]?.index === top + 1) top++;
  return top;
}

/**
 * Android Key Attestation (docs/protocols/android-key-attestation.md), in order: decode the chain and its attestation
 * records → verify the chain to a trusted root → compare the challenge → check revocation of
 * every certificate → refuse records that state a fact twice with different values → device requirements on every record, key and app requirements on the
 * leaf's → the normalized result.
 */
export class AndroidVerifier {
  constructor(readonly options: AndroidVerifierOptions) {}

  async verify(input: AndroidAttestationInput): Promise<AttestationResult> {
    const { options } = this;
    const policy = input.policy ?? options.policy;
    assertChainLength(input.chain.length, options.maxChainLength);
    // The leaf is new with every request: parsed without polluting the certificate cache.
    const chain = input.chain.map((der, index) => parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: index > 0 }));
    // records() skips a top certificate with an anchor's key, the one certificate a path may leave out.
    const records = this.records(chain);

    const verified = verifyAndroidChain(chain, input.at, options, keyMintTop(records));
    // A top certificate left out of the path (an anchor's key in another certificate) is not read from.
    const path = verified.length === chain.length ? chain : chain.slice(0, verified.length);
    const leafRecord = records[0]!.record;

    const actual = challengeBytes(leafRecord);
    if (actual.length !== input.challenge.length || !timingSafeEqual(actual, input.challenge)) {
      throw contentError('CHALLENGE_MISMATCH', 'The attestation was not made for this challenge.');
    }

    if (options.statusList) (await options.statusList.current()).assertNoneListed(path);

    const context = { at: input.at, rkp: verified.rkp, allowSoftwareAttestation: options.allowSoftwareAttestation };
    for (const { index, record } of records) assertNoConflictingFacts(record, index);
    for (const { index, record } of records.slice(1)) checkAttestKey(record, index, options.allowSoftwareAttestation);
    for (const { record } of records) checkDevice(record, policy, context);
    checkKeyAndApp(leafRecord, policy, context);

    return this.result(path, leafRecord, records.slice(1), verified);
  }

  /** The leaf's record (required) and the records of attest-key certificates above it, leaf first. */
  private records(chain: ParsedCertificate[]): { index: number; record: KeyDescription }[] {
    const records: { index: number; record: KeyDescription }[] = [];
    // A top certificate with an anchor's key is the anchor or is ignored: in neither case is a record read from it.
    const top = chain.length - 1;
    const anchorKeyOnTop =
      top > 0 &&
      (this.options.hardwareAnchors.withKeyOf(chain[top]!).length > 0 ||
        this.options.softwareAnchors.withKeyOf(chain[top]!).length > 0);
    chain.forEach((certificate, index) => {
      if (anchorKeyOnTop && index === top) return;
      const extension = certificate.extension(KEY_DESCRIPTION_OID);
      if (extension)
        records.push({ index, record: parseKeyDescription(extension.value, { strict: this.options.strictEncoding }) });
    });
    if (records[0]?.index !== 0) {
      throw contentError('KEY_DESCRIPTION_MISSING', 'The leaf certificate carries no Android key attestation record.');
    }
    return records;
  }

  private result(
    chain: ParsedCertificate[],
    leaf: KeyDescription,
    attestKeyRecords: { index: number; record: KeyDescription }[],
    verified: AndroidChain,
  ): AttestationResult {
    const allowSoftware = this.options.allowSoftwareAttestation;
    const enforced = <K extends keyof KeyDescription['hardwareEnforced']>(key: K) =>
      enforcedFact(leaf, key, allowSoftware);
    const root = enforced('rootOfTrust');
    const application = fact(leaf, 'attestationApplicationId');
    const created = fact(leaf, 'creationDateTime');
    let described: CertificateFacts[] | undefined;
    const result: AttestationResult = {
      platform: 'android',
      publicKey: describeKey(chain[0]!),
      securityLevel: SECURITY_LEVEL[leaf.attestationSecurityLevel],
      keyStoreSecurityLevel: SECURITY_LEVEL[leaf.keyMintSecurityLevel],
      app: {
        ids: application?.packages.map((info) => info.name) ?? [],
        signerDigests:
          application?.signatures.map((signature) => Buffer.from(signature, 'base64').toString('hex')) ?? [],
      },
      anchor: verified.anchor.name,
      facts: {
        keyDescription: leaf,
        attestKeyRecords: attestKeyRecords.map(({ index, record }) => ({ certificate: index, keyDescription: record })),
        knownAttestationVersion: isKnownAttestationVersion(leaf.attestationVersion),
        rkp: verified.rkp,
        softwareRoot: verified.software,
        // Described on first read (JSON output reads it; policy and issuers usually do not).
        get chain() {
          return (described ??= chain.map(certificateFacts));
        },
      },
    };
    const version = application?.packages[0]?.version;
    if (typeof version === 'number') result.app.version = version;
    if (root) {
      result.bootState = {
        locked: root.deviceLocked,
        state: BOOT_STATE[root.verifiedBootState],
        verifiedBootKey: Buffer.from(root.verifiedBootKey, 'base64').toString('hex'),
        ...(root.verifiedBootHash
          ? { verifiedBootHash: Buffer.from(root.verifiedBootHash, 'base64').toString('hex') }
          : {}),
      };
    }
    const osVersion = osVersionText(enforced('osVersion'));
    if (osVersion) result.osVersion = osVersion;
    const patch = dateText(enforced('osPatchLevel'));
    if (patch) result.osPatchLevel = patch;
    const vendor = dateText(enforced('vendorPatchLevel'));
    if (vendor) result.vendorPatchLevel = vendor;
    const boot = dateText(enforced('bootPatchLevel'));
    if (boot) result.bootPatchLevel = boot;
    if (typeof created === 'number') result.createdAt = created;
    return result;
  }
}
