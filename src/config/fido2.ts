import { Type, type Static } from '@sinclair/typebox';
import { Fido2MetadataConfigSchema } from './fido2-metadata.js';

/** COSE algorithm identifiers a relying party may offer (WebAuthn §5.8.5, docs/protocols/webauthn.md). */
export const COSE_ALGORITHM_IDS = {
  ES256: -7,
  ES384: -35,
  ES512: -36,
  RS256: -257,
  RS384: -258,
  RS512: -259,
  PS256: -37,
  PS384: -38,
  PS512: -39,
  EdDSA: -8,
  RS1: -65535,
} as const;

/** Offered unless configured otherwise: every algorithm but RS1, most common first. */
const DEFAULT_ALGORITHMS = [-7, -257, -8, -35, -36, -37, -38, -39, -258, -259];

const literals = <T extends string>(values: readonly T[]) => values.map((value) => Type.Literal(value));

export const CONVEYANCES = ['none', 'indirect', 'direct', 'enterprise'] as const;
export const REQUIREMENTS = ['required', 'preferred', 'discouraged'] as const;
export type Conveyance = (typeof CONVEYANCES)[number];
export type Requirement = (typeof REQUIREMENTS)[number];

const RootFiles = (format: string, note = '') =>
  Type.Array(Type.String(), {
    default: [],
    description: `PEM files of roots trusted for ${format} attestations${note} (JSON array in the env var).`,
  });

/** The WebAuthn relying party (config key `fido2`): ceremonies, attestation policy and trust. */
export const Fido2ConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Serve the WebAuthn relying party (/fido2/attestation/*, /fido2/assertion/*, the operator credential endpoints) and keep its FIDO metadata (fido2.mds).',
    }),
    rpId: Type.String({
      default: '',
      pattern: '^(|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$',
      description:
        "Relying party ID: the domain credentials are scoped to (e.g. example.com). Empty derives it: publicBaseUrl's host when set, otherwise localhost (an IP address cannot be an RP ID; open the server at http://localhost:<port>).",
    }),
    rpName: Type.String({
      default: 'Keyward',
      minLength: 1,
      maxLength: 64,
      description: 'Relying party name authenticators may show.',
    }),
    origins: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        "Origins ceremonies may come from (clientDataJSON's origin), each an https origin on the RP ID or a subdomain of it, http://localhost[:port], or an app origin such as android:apk-key-hash:…. Empty derives it: publicBaseUrl's origin when set, otherwise http://localhost:<port> (JSON array in the env var).",
    }),
    timeoutMs: Type.Object(
      {
        registration: Type.Integer({
          minimum: 10_000,
          maximum: 3_600_000,
          default: 300_000,
          description: "How long a registration may take (the options' timeout and the challenge lifetime), ms.",
        }),
        authentication: Type.Integer({
          minimum: 10_000,
          maximum: 3_600_000,
          default: 300_000,
          description: "How long a sign-in may take (the options' timeout and the challenge lifetime), ms.",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    attestation: Type.Union(literals(CONVEYANCES), {
      default: 'direct',
      description:
        'Attestation conveyance asked for when a registration request names none: direct lets Keyward tell which authenticator made a credential and whether it is genuine. attestationMode disabled always asks for none.',
    }),
    userVerification: Type.Union(literals(REQUIREMENTS), {
      default: 'preferred',
      description:
        'User verification asked for when a request names none. required is a floor: every ceremony then requires user verification whatever the request asks for, and responses without the UV flag are refused.',
    }),
    residentKey: Type.Union(literals(REQUIREMENTS), {
      default: 'preferred',
      description:
        'Discoverable credentials (passkeys, needed for sign-in without a user name) asked for when a registration request names none.',
    }),
    algorithms: Type.Array(Type.Union(Object.values(COSE_ALGORITHM_IDS).map((id) => Type.Literal(id))), {
      default: DEFAULT_ALGORITHMS,
      minItems: 1,
      uniqueItems: true,
      description:
        'COSE algorithms offered, in order of preference: ES256 -7, RS256 -257, EdDSA -8, ES384 -35, ES512 -36, PS256 -37, PS384 -38, PS512 -39, RS384 -258, RS512 -259, and RS1 -65535 (SHA-1, old TPMs) only when listed. A credential key of an algorithm not offered is refused (JSON array in the env var).',
    }),
    attestationMode: Type.Union(literals(['disabled', 'monitor', 'enforced'] as const), {
      default: 'monitor',
      description:
        'disabled: attestation conveyance none, no attestation checks. monitor: verify the attestation and look the authenticator up in metadata, record the outcome with the credential, accept whatever it is. enforced: the authenticator must be in metadata, its attestation must reach a root of its metadata statement (self attestation only where the statement declares basic_surrogate; none is refused), and its status must be acceptable (fido2.mds.refuseStatuses, fido2.mds.minCertificationLevel).',
    }),
    skipValidateMdsInAttestationEnabled: Type.Boolean({
      default: false,
      description:
        "Deprecated (Janssen's older flag): true behaves as attestationMode monitor and logs a deprecation warning at start; it cannot be combined with attestationMode disabled or enforced.",
    }),
    allowAdditionalCredentials: Type.Boolean({
      default: false,
      description:
        'Let /fido2/attestation/options and /fido2/attestation/result add credentials to a user name that already has one. The conformance API authenticates nobody: with this on, anyone can register their own authenticator for any existing user name and then sign in as that user. Turn it on only when these routes sit behind your own authentication (Keyward logs a warning at start while it is on). Off, a user name gets exactly one credential, enforced atomically by the store.',
    }),
    androidPolicy: Type.Boolean({
      default: false,
      description:
        "Apply android.policy (locked bootloader, patch levels, apps, …) to android-key attestations. Off, they only need a chain to Google's roots and WebAuthn's own checks.",
    }),
    safetynet: Type.Object(
      {
        requireCtsProfileMatch: Type.Boolean({
          default: true,
          description: 'Refuse android-safetynet attestations whose ctsProfileMatch is false.',
        }),
        maxAgeSeconds: Type.Integer({
          minimum: 1,
          maximum: 86_400,
          default: 60,
          description:
            "How far an android-safetynet response's timestampMs may lie before (or after) the verification time.",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    extraRootFiles: Type.Object(
      {
        packed: RootFiles('packed'),
        tpm: RootFiles('tpm', ' (TPM vendor roots)'),
        androidKey: RootFiles('android-key', " besides android.extraRootFiles and Google's roots"),
        androidSafetynet: RootFiles('android-safetynet', ' besides the shipped GTS Root R1'),
        fidoU2f: RootFiles('fido-u2f'),
        apple: RootFiles('apple', ' besides the shipped Apple WebAuthn Root CA'),
      },
      { additionalProperties: false, default: {} },
    ),
    maxChainLength: Type.Integer({
      minimum: 1,
      maximum: 16,
      default: 6,
      description: 'Longest attestation certificate chain (x5c) accepted.',
    }),
    mds: Fido2MetadataConfigSchema,
  },
  { additionalProperties: false, default: {} },
);

export type Fido2Config = Static<typeof Fido2ConfigSchema>;

/** The attestation formats with roots, and each one's fido2.extraRootFiles option. */
export const EXTRA_ROOT_OPTIONS = {
  packed: 'packed',
  tpm: 'tpm',
  'android-key': 'androidKey',
  'android-safetynet': 'androidSafetynet',
  'fido-u2f': 'fidoU2f',
  apple: 'apple',
} as const satisfies Record<string, keyof Fido2Config['extraRootFiles']>;

export type AnchoredFormat = keyof typeof EXTRA_ROOT_OPTIONS;
