import { Type, type Static } from '@sinclair/typebox';
import type { AndroidPolicy } from '../attestation/android/policy.js';

const HexDigest = Type.String({ pattern: '^([0-9a-fA-F]{2}){32}$' });

const AndroidApp = Type.Object(
  {
    packageName: Type.String({ minLength: 1, description: 'Android package name.' }),
    signerDigests: Type.Array(HexDigest, {
      default: [],
      description:
        'SHA-256 digests (hex) of the app signing certificates; any one must match. Empty accepts any signer.',
    }),
    minVersion: Type.Integer({ minimum: 0, default: 0, description: 'Lowest accepted versionCode.' }),
  },
  { additionalProperties: false },
);

/** The device and app requirements an Android attestation must meet. */
export const AndroidPolicySchema = Type.Object(
  {
    apps: Type.Array(AndroidApp, {
      default: [],
      description: 'Apps allowed to attest: [{packageName, signerDigests, minVersion}]. Empty accepts any app.',
    }),
    requireStrongBox: Type.Boolean({ default: false, description: 'Require the key in StrongBox (not only the TEE).' }),
    requireLockedBootloader: Type.Boolean({
      default: true,
      description: 'Require a locked bootloader with Verified boot, or SelfSigned boot with an allow-listed boot key.',
    }),
    allowedSelfSignedBootKeys: Type.Array(HexDigest, {
      default: [],
      description:
        'verifiedBootKey digests (hex) of alternative OSes admitted with SelfSigned boot (e.g. GrapheneOS per device).',
    }),
    minOsVersion: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Lowest osVersion (e.g. 140000 = Android 14); 0 = any.',
    }),
    minPatchLevel: Type.String({
      pattern: '^(|\\d{4}-\\d{2})$',
      default: '',
      description: 'Oldest accepted OS patch level, YYYY-MM; empty = any.',
    }),
    maxPatchAgeMonths: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Reject OS patch levels older than this many months before the verification time; 0 = off.',
    }),
    maxPatchMonthsAhead: Type.Integer({
      minimum: 0,
      default: 1,
      description:
        'Reject OS patch levels more than this many months after the verification time (a forged or broken clock).',
    }),
    requireRkp: Type.Boolean({ default: false, description: 'Require a remotely provisioned (RKP) chain.' }),
    maxStatementAgeSeconds: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Reject keys created (creationDateTime) longer ago than this; 0 = off.',
    }),
    requireGeneratedKey: Type.Boolean({ default: true, description: 'Require key origin GENERATED (not imported).' }),
  },
  { additionalProperties: false, default: {} },
);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
/** Fails to compile when the schema and the verifier's AndroidPolicy drift apart (in either direction). */
export type AndroidPolicySchemaMatchesVerifier = Holds<Same<Static<typeof AndroidPolicySchema>, AndroidPolicy>>;

/** Android Key Attestation options (config key `android`). */
export const AndroidConfigSchema = Type.Object(
  {
    googleRoots: Type.Boolean({
      default: true,
      description:
        "Trust Google's hardware attestation roots (the RSA root's four certificates and Key Attestation CA1).",
    }),
    extraRootFiles: Type.Array(Type.String(), {
      default: [],
      description: 'PEM files of further trusted roots (JSON array in the env var).',
    }),
    allowSoftwareAttestation: Type.Boolean({
      default: false,
      description:
        "Accept chains ending in Google's software-attestation roots (emulators, very old devices). Never in production.",
    }),
    rkpKeys: Type.Array(HexDigest, {
      default: [
        // Droid CA2 under the RSA root (2022–2037)
        '0b00ad49ac69ab38a7597fb9e74b62ca5feb030c215e060b1b79a37d919a3663',
        '630c11f36545e38c36f097c0bb888b9a5716ba3964266eea8793507e9ffc84f6',
        // Droid CA2 under Key Attestation CA1 (2026–2029)
        '26e378ef4bab0719ce6a8c3d23c9a27da4b6b60fd50af60ef001bd2b56936f03',
        'a09d44236bed43f43c79f1d5ee5463ccb6f178bc03adb287fa46a9dc9b46d114',
        // Key Attestation CA1, the EC root that anchors only remotely provisioned chains
        '3ee44512a1af2beb39c889490c60ea3f82e43f5d5a5532f5ab9419f676cd07ec',
      ],
      description:
        "SHA-256 (hex) of the SubjectPublicKeyInfo of Google's remote key provisioning CAs: the four Droid CA2 keys (two under each root) and the EC root Key Attestation CA1. A chain is remotely provisioned (policy.requireRkp, facts.rkp) only when its verified path passes through one of these keys; names are never trusted for this. Droid CA3 keys rotate and are not pinned (JSON array in the env var).",
    }),
    maxChainLength: Type.Integer({
      minimum: 2,
      maximum: 16,
      default: 8,
      description: 'Longest accepted certificate chain.',
    }),
    strictEncoding: Type.Boolean({
      default: false,
      description:
        'Reject records with authorization-list tags out of ascending order or BOOLEANs not in DER form (accepted and reported by default).',
    }),
    ignoreLeafValidity: Type.Boolean({
      default: true,
      description: "Ignore the leaf's validity period (devices write arbitrary dates there).",
    }),
    enforceIntermediateValidity: Type.Boolean({
      default: true,
      description: 'Reject chains with an intermediate outside its validity period.',
    }),
    enforceRkpValidity: Type.Boolean({
      default: true,
      description:
        'Reject chains with a remotely provisioned certificate outside its (short) validity, even when intermediate validity is not enforced.',
    }),
    revocation: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description: "Check every certificate against Google's attestation status list.",
        }),
        url: Type.String({
          default: 'https://android.googleapis.com/attestation/status',
          description: 'Where the status list is fetched from.',
        }),
        file: Type.String({
          default: '',
          description: 'Read the status list from this file instead of fetching it (offline deployments).',
        }),
        fallbackTtlSeconds: Type.Integer({
          minimum: 60,
          default: 3600,
          description: 'How long a fetched list is used when the response has no Cache-Control max-age.',
        }),
        timeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'Fetch timeout.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    policy: AndroidPolicySchema,
  },
  { additionalProperties: false, default: {} },
);
