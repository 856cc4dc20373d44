import { Type, type Static } from '@sinclair/typebox';

const secret = <T extends object>(schema: T): T => ({ ...schema, secret: true });

/** The identity-credential (mdoc) provisioning server (config key `provisioning`, docs/provisioning.md). */
export const ProvisioningConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        "Serve POST /mdlServer (the identity-credential provisioning protocol of Google's reference mdl server) and the mdoc system-of-record operator endpoints (/admin/v1/mdoc/…).",
    }),
    sessionTtlSeconds: Type.Integer({
      minimum: 10,
      maximum: 86_400,
      default: 600,
      description:
        'How long a provisioning session lives from its first message (in the database, or in Redis when redisUrl is set).',
    }),
    maxAuthKeys: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 20,
      description: 'Most authentication keys certified by one CertifyAuthKeysSendCerts.',
    }),
    mdocValidityDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 30,
      description:
        "Validity of each issued mdoc (the MSO's validFrom..validUntil), capped at the document signer's end.",
    }),
    codeTtlSeconds: Type.Integer({
      minimum: 60,
      maximum: 31_536_000,
      default: 2_592_000,
      description:
        'Lifetime of a provisioning code issued with keyward mdoc codes issue or the operator API (default 30 days).',
    }),
    requireIdentityCredentialKey: Type.Boolean({
      default: true,
      description:
        "Require identityCredentialKey (tag 721) in the CredentialKey's attestation. Turn off only for software keystores that cannot make Identity Credential keys.",
    }),
    requireDeletionChallenge: Type.Boolean({
      default: false,
      description:
        'Refuse a ProofOfDeletion over an empty challenge. The deployed Android app signs an empty one; the session has already proved ownership over a fresh challenge with the same key, so the default accepts it.',
    }),
    allowTestCredential: Type.Boolean({
      default: false,
      description: 'Accept proofs that declare testCredential true.',
    }),
    maxBodyBytes: Type.Integer({
      minimum: 4096,
      maximum: 16 * 1024 * 1024,
      default: 524_288,
      description: 'Largest /mdlServer request body.',
    }),
    android: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: 'android.policy options to override for CredentialKey attestations (JSON).',
    }),
    issuer: Type.Object(
      {
        country: Type.String({
          pattern: '^[A-Z]{2}$',
          default: 'DE',
          description:
            'ISO 3166-1 alpha-2 country of a generated development issuer (IACA and document signer subjects).',
        }),
        organization: Type.String({
          minLength: 1,
          default: 'Keyward Development Issuer',
          description: 'Organization of a generated development issuer.',
        }),
        crlUrl: Type.String({
          default: '',
          pattern: '^(|https?://.+)$',
          description:
            "CRL distribution point URL that ISO 18013-5 Annex B requires in the generated development issuer's certificates; empty: <publicBaseUrl>/mdoc/iaca.crl. Keyward does not serve the CRL: the IACA key stays offline, so publish its CRL there yourself.",
        }),
        iacaCertificateFile: Type.String({ default: '', description: 'PEM IACA root certificate.' }),
        documentSignerCertificateFile: Type.String({
          default: '',
          description: 'PEM document signer certificate, issued by the IACA (Annex B profile).',
        }),
        documentSignerKeyFile: secret(
          Type.String({ default: '', description: 'PEM private key of the document signer (signs every MSO).' }),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'The three files together (keyward mdoc ca init makes them), or none: a development issuer is generated once under <dataDir>/keys/mdoc-issuer.',
      },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type ProvisioningConfig = Static<typeof ProvisioningConfigSchema>;
