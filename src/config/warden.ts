import { Type, type Static } from '@sinclair/typebox';
import { MAX_CHALLENGE_BYTES, MIN_CHALLENGE_BYTES } from '../challenges/encoding.js';

const OID_PATTERN = '^[0-2](\\.(0|[1-9][0-9]*))+$';

/** Per-policy overrides: Android policy options (merged onto android.policy) and Apple app ids / environment. */
const NamedPolicy = Type.Object(
  {
    android: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'android.policy options to override.' }),
    ),
    apple: Type.Optional(
      Type.Object(
        {
          appIds: Type.Optional(Type.Array(Type.String())),
          environment: Type.Optional(
            Type.Union([Type.Literal('production'), Type.Literal('development'), Type.Literal('any')]),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Warden-compatible attestation endpoint (config key `warden`). */
export const WardenConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description: 'Serve the Warden endpoints (/api/v1/challenge, /api/v1/attest, /api/v1/crl).',
    }),
    nonceBytes: Type.Integer({
      minimum: MIN_CHALLENGE_BYTES,
      maximum: MAX_CHALLENGE_BYTES,
      default: 64,
      description: 'Random bytes in each challenge nonce.',
    }),
    validitySeconds: Type.Integer({
      minimum: 10,
      maximum: 86_400,
      default: 600,
      description: 'How long a challenge can be answered.',
    }),
    clockSkewSeconds: Type.Integer({
      minimum: 0,
      maximum: 3600,
      default: 300,
      description:
        'issuedAt is sent this much earlier (as Warden does), so clients whose clock is behind still accept the challenge.',
    }),
    timeZone: Type.String({
      default: '',
      description: 'IANA time zone named in challenges (informational); empty sends null.',
    }),
    proofOid: Type.String({
      pattern: OID_PATTERN,
      default: '2.25.84909157162398755923739785575458177302',
      description: 'CSR attribute carrying the attestation proof.',
    }),
    genericDeviceNameOid: Type.String({
      pattern: '^(|[0-2](\\.(0|[1-9][0-9]*))+)$',
      default: '2.25.161066711659881035499644753588417948207',
      description: 'CSR attribute carrying a device name such as "Google Pixel 8"; empty sends null (not requested).',
    }),
    keyConstraints: Type.Unknown({
      default: {
        algorithmParameters: {
          type: 'EC',
          curve: 'P-256',
          digests: ['SHA256'],
          allowKeyAgreement: false,
          allowSigning: true,
        },
        keyProtection: null,
      },
      description: 'keyConstraints sent in challenges (JSON; null for none).',
    }),
    dataAuth: Type.Union(
      [
        Type.Literal('SIGNATURE'),
        Type.Literal('HASH-SHA256'),
        Type.Literal('HASH-SHA384'),
        Type.Literal('HASH-SHA512'),
      ],
      {
        default: 'SIGNATURE',
        description:
          'SIGNATURE: the client sends a signed CSR (proof of possession). HASH-*: it sends an unsigned CertificationRequestInfo whose digest is the attestation challenge (challenge version 3).',
      },
    ),
    failuresAsHttp200: Type.Boolean({
      default: false,
      description:
        'Answer Failure responses with HTTP 200 instead of 400/403/500. Deployed Warden Supreme clients only read 2xx bodies; set this for them.',
    }),
    maxProofBytes: Type.Integer({
      minimum: 1024,
      maximum: 1_048_576,
      default: 262_144,
      description: 'Largest CSR body accepted.',
    }),
    policies: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), NamedPolicy, {
      default: {},
      description:
        'Named policies served at /api/v1/{name}/challenge and /api/v1/{name}/attest: {"android": {…android.policy overrides}, "apple": {appIds, environment}} (JSON in the env var).',
    }),
    certificate: Type.Object(
      {
        validityDays: Type.Integer({
          minimum: 1,
          maximum: 3650,
          default: 30,
          description: 'Validity of issued binding certificates.',
        }),
        subject: Type.String({
          default: '',
          description:
            'Subject of binding certificates: empty gives "CN={deviceName}, serialNumber={nonce}" (CN only when the request names a device, cut to 64 characters); otherwise RDNs such as "CN=Attested Client: {deviceName}, O=Example" with {deviceName}, {platform}, {policy} and {nonce} (uppercase hex).',
        }),
        copyCsrSubject: Type.Boolean({
          default: false,
          description:
            'Copy the CSR subject into binding certificates (as Warden does) instead of using warden.certificate.subject. Risky: the client then chooses every attribute a relying party reads (e.g. O=, CN=), and only the nonce in it is checked.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    ca: Type.Object(
      {
        rootCertificateFile: Type.String({
          default: '',
          description: 'PEM of the binding CA root (served at the end of every chain).',
        }),
        intermediateCertificateFile: Type.String({
          default: '',
          description: 'PEM of the issuing intermediate (signed by the root).',
        }),
        intermediateKeyFile: Type.String({
          default: '',
          description: "PEM (PKCS#8) of the intermediate's private key (keep it mode 0600).",
        }),
        crlValidityHours: Type.Integer({
          minimum: 1,
          maximum: 720,
          default: 24,
          description: 'nextUpdate of the CRL served at /api/v1/crl.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type WardenConfig = Static<typeof WardenConfigSchema>;
export type NamedWardenPolicy = Static<typeof NamedPolicy>;
