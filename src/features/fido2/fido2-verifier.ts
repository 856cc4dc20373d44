import { shippedAnchors } from '../../assets.js';
import type { AndroidPolicy } from '../../attestation/android/policy.js';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import { WEBAUTHN_ANDROID_POLICY } from '../../attestation/webauthn/formats/android-key.js';
import type { AttestationMode, FormatContext, MetadataLookup } from '../../attestation/webauthn/types.js';
import { WebAuthnVerifier } from '../../attestation/webauthn/verify-registration.js';
import { invalidConfiguration } from '../../config/config-error.js';
import { type AnchoredFormat, EXTRA_ROOT_OPTIONS, type Fido2Config } from '../../config/fido2.js';
import { configuredAnchors } from '../../config/trust-anchors.js';
import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { TrustAnchors, type TrustAnchor } from '../../crypto/x509/chain.js';
import { verifySignature } from '../../crypto/x509/signatures.js';

type AnchoredOption = (typeof EXTRA_ROOT_OPTIONS)[AnchoredFormat];

/** Roots Keyward ships for a format: Apple's WebAuthn root; Google's GTS Root R1 for SafetyNet's attest.android.com. */
const SHIPPED: Partial<Record<AnchoredFormat, () => TrustAnchor[]>> = {
  apple: () => shippedAnchors('roots/apple-webauthn-root-ca.pem', 'Apple WebAuthn Root CA'),
  'android-safetynet': () => shippedAnchors('roots/gts-root-r1.pem', 'GTS Root R1'),
};

/**
 * The attestation mode in effect: fido2.attestationMode, or monitor for Janssen's deprecated
 * skipValidateMdsInAttestationEnabled (which cannot be combined with another mode: a ConfigError).
 * `warn` is told about the deprecated flag.
 */
export function effectiveAttestationMode(
  config: Pick<Fido2Config, 'attestationMode' | 'skipValidateMdsInAttestationEnabled'>,
  warn: (message: string) => void,
): AttestationMode {
  if (!config.skipValidateMdsInAttestationEnabled) return config.attestationMode;
  if (config.attestationMode !== 'monitor')
    throw invalidConfiguration(
      `fido2.skipValidateMdsInAttestationEnabled (deprecated) means attestationMode monitor; it cannot be combined with fido2.attestationMode ${config.attestationMode}: remove it`,
    );
  warn(
    'fido2.skipValidateMdsInAttestationEnabled is deprecated: it behaves as fido2.attestationMode monitor; set that instead',
  );
  return 'monitor';
}

export interface Fido2VerifierDependencies {
  mode: AttestationMode;
  /** The services' Android verifier: android-key chains go through it with challenge = clientDataHash. */
  android: AndroidVerifier;
  /** android.policy, applied only when fido2.androidPolicy is on. */
  androidPolicy: AndroidPolicy;
  /** The metadata currently trusted (the metadata service's lookup). */
  metadata?: () => MetadataLookup | undefined;
  /** The simulator's test roots per format, when trustSimulatorRoots is on. */
  simulatorAnchors?: Partial<Record<string, TrustAnchor[]>>;
}

/**
 * The WebAuthn registration verifier fido2.* describes: each format's roots are the shipped ones
 * (Apple WebAuthn Root CA, GTS Root R1), fido2.extraRootFiles and, only with trustSimulatorRoots,
 * the simulator's; android-key goes through Keyward's Android verifier (Google's roots,
 * revocation) under android.policy when fido2.androidPolicy is on, else under a policy that
 * requires nothing beyond WebAuthn's own checks. Unreadable root files are ConfigErrors.
 */
export function webauthnVerifierFromConfig(config: Fido2Config, deps: Fido2VerifierDependencies): WebAuthnVerifier {
  const roots = new Map<string, TrustAnchors>();
  for (const [fmt, option] of Object.entries(EXTRA_ROOT_OPTIONS) as [AnchoredFormat, AnchoredOption][]) {
    const anchors = [
      ...(SHIPPED[fmt]?.() ?? []),
      ...configuredAnchors(config.extraRootFiles[option], `fido2.extraRootFiles.${option}`),
      ...(deps.simulatorAnchors?.[fmt] ?? []),
    ];
    roots.set(fmt, new TrustAnchors(anchors));
  }
  const none = new TrustAnchors([]);
  const androidPolicy = config.androidPolicy ? deps.androidPolicy : WEBAUTHN_ANDROID_POLICY;
  const context: FormatContext = {
    rootsFor: (fmt) => roots.get(fmt) ?? none,
    android: (chain, challenge, at) => deps.android.verify({ chain, challenge, at, policy: androidPolicy }),
    requireCtsProfileMatch: config.safetynet.requireCtsProfileMatch,
    safetynetMaxAgeMs: config.safetynet.maxAgeSeconds * 1000,
    maxChainLength: config.maxChainLength,
  };
  return new WebAuthnVerifier({
    context,
    mode: deps.mode,
    ...(deps.metadata ? { metadata: deps.metadata } : {}),
    statusPolicy: { refuse: config.mds.refuseStatuses, minCertificationLevel: config.mds.minCertificationLevel },
  });
}

/**
 * Whether a verified trust path (base64 DER, leaf first) ends at one of `anchors`: its top
 * certificate is one of them or is signed by one. For telling registrations that simulator roots
 * made possible, whatever anchor (a metadata statement's root) the verifier named.
 */
export function endsAt(anchors: TrustAnchors, trustPath: readonly string[]): boolean {
  const last = trustPath.at(-1);
  if (last === undefined) return false;
  try {
    // The top of a path is usually a CA certificate shared by many registrations: parsed through the cache, decided once.
    const top = parseCertificate(Buffer.from(last, 'base64'), 'MALFORMED_CERTIFICATE');
    let decided = endsAtAnchors.get(anchors);
    if (!decided) endsAtAnchors.set(anchors, (decided = new WeakMap()));
    let ends = decided.get(top);
    if (ends === undefined) {
      ends =
        anchors.withKeyOf(top).length > 0 ||
        anchors
          .candidatesFor(top)
          .some((anchor) =>
            verifySignature(top.signatureAlgorithm, top.tbs, top.signature, anchor.certificate.publicKey()),
          );
      decided.set(top, ends);
    }
    return ends;
  } catch {
    return false;
  }
}

/** endsAt's answers, per set of anchors and parsed top certificate. */
const endsAtAnchors = new WeakMap<TrustAnchors, WeakMap<ParsedCertificate, boolean>>();
