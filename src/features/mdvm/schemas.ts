import { Type, type Static } from '@sinclair/typebox';
import { UUID } from '../../challenges/encoding.js';

const Base64 = (description: string, maxLength = 65_536) =>
  Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength, description });

const DeviceClass = (example: Record<string, string>) =>
  Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }), {
    maxProperties: 32,
    description: 'Device class properties the app reports (strings).',
    examples: [example],
  });

const AndroidDeviceClass = DeviceClass({
  model: 'Pixel 8',
  device: 'shiba',
  product: 'shiba',
  hardware: 'shiba',
  versionPatch: '2026-10-05',
  versionRelease: '16',
});
const IosDeviceClass = DeviceClass({
  systemVersion: '26.3',
  uname: '',
  model: 'iPhone',
  hardwareModel: 'iPhone15,3',
  osVersion: 'Version 26.3 (Build 23D127)',
});

const AuthKey = Base64('wi_mdvm_auth_pubk: base64 SubjectPublicKeyInfo DER of the EC P-256 auth key.', 512);
const KeyAttestation = Type.Array(Base64('A DER certificate, base64.', 16_384), {
  minItems: 1,
  maxItems: 16,
  description: 'Android Key Attestation chain, leaf first.',
});
const PlayIntegrity = Type.Optional(
  Type.String({ maxLength: 16_384, description: 'Play Integrity token (accepted, not evaluated).' }),
);

export const AndroidRegistrationSchema = Type.Object(
  {
    wi_mdvm_auth_pubk: AuthKey,
    wi_device_class: AndroidDeviceClass,
    wi_android_key_attestation: KeyAttestation,
    pap_playintegrity_attestation: PlayIntegrity,
  },
  { additionalProperties: false },
);
export const AndroidRenewalSchema = Type.Object(
  {
    wi_device_class: AndroidDeviceClass,
    wi_android_key_attestation: KeyAttestation,
    pap_playintegrity_attestation: PlayIntegrity,
  },
  { additionalProperties: false },
);
export const IosRegistrationSchema = Type.Object(
  {
    wi_mdvm_auth_pubk: AuthKey,
    wi_device_class: IosDeviceClass,
    pap_devicecheck_attestation: Base64('App Attest attestation object (CBOR), base64.'),
    pap_devicecheck_assertion: Base64('App Attest assertion over the same clientData, base64.', 4096),
  },
  { additionalProperties: false },
);
export const IosRenewalSchema = Type.Object(
  { wi_device_class: IosDeviceClass, pap_devicecheck_assertion: Base64('App Attest assertion, base64.', 4096) },
  { additionalProperties: false },
);

export type AndroidRegistration = Static<typeof AndroidRegistrationSchema>;
export type AndroidRenewal = Static<typeof AndroidRenewalSchema>;
export type IosRegistration = Static<typeof IosRegistrationSchema>;
export type IosRenewal = Static<typeof IosRenewalSchema>;

export const ChallengeReplySchema = Type.Object({
  mdvm_auth_challenge: Type.String({
    description: 'HS256 JWT (typ auth-challenge+jwt); send it back in Auth-Challenge, once.',
  }),
});
const TokenFields = {
  mdvm_token: Type.String({ description: 'ES256 JWT binding the auth key (cnf) to mdvm_wi_id.' }),
  mdvm_token_expiration_time: Type.Integer({ description: 'Epoch seconds.' }),
};
export const RegistrationReplySchema = Type.Object({ mdvm_wi_id: Type.String({ format: 'uuid' }), ...TokenFields });
export const RenewalReplySchema = Type.Object(TokenFields);
export type ChallengeReply = Static<typeof ChallengeReplySchema>;
export type RegistrationReply = Static<typeof RegistrationReplySchema>;
export type RenewalReply = Static<typeof RenewalReplySchema>;

/** Documented, not enforced by schema: a missing signature header is a signature failure (401), not a malformed request. */
export const SignedHeaders = Type.Partial(
  Type.Object({
    'auth-challenge': Type.String({ description: 'The mdvm_auth_challenge, covered by the signature.' }),
    'content-digest': Type.String({ description: 'RFC 9530, sha-256 of the body.' }),
    'signature-input': Type.String({
      description: 'RFC 9421: mdvm-auth-sig (and mdvm-reattest-sig on Android renewal).',
    }),
    signature: Type.String(),
  }),
);
export const RenewalHeaders = Type.Composite([
  SignedHeaders,
  Type.Partial(Type.Object({ 'mdvm-wi-id': Type.String({ description: 'The account (mdvm_wi_id).' }) })),
]);

export const AccountId = Type.Object({ id: Type.String({ pattern: UUID.source }) });

export const AccountView = Type.Object({
  mdvm_wi_id: Type.String(),
  platform: Type.String(),
  deviceClass: Type.Record(Type.String(), Type.String()),
  attested: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  revocationReason: Type.Optional(Type.String()),
});

const YearMonth = Type.String({ pattern: '^\\d{4}-\\d{2}$' });
const Version = Type.String({ pattern: '^\\d+(\\.\\d+){0,2}$' });
const Names = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 256 });

export const NewVulnerableClassSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
      description: 'Your identifier, e.g. DCVDB-2026-015.',
    }),
    platform: Type.Union([Type.Literal('android'), Type.Literal('ios')]),
    classification: Type.Union([Type.Literal('fixable'), Type.Literal('unfixable')]),
    match: Type.Object(
      {
        models: Type.Optional(Names),
        products: Type.Optional(Names),
        patchLevelFrom: Type.Optional(YearMonth),
        patchLevelTo: Type.Optional(YearMonth),
        versionFrom: Type.Optional(Version),
        versionTo: Type.Optional(Version),
      },
      {
        additionalProperties: false,
        description:
          'Android: models and/or products, optional patch-level range (YYYY-MM, inclusive). iOS: models, optional version range.',
      },
    ),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    revokeAccounts: Type.Optional(
      Type.Boolean({ description: 'Revoke accounts already on matching devices (default: for unfixable classes).' }),
    ),
  },
  { additionalProperties: false },
);

export const NewLeakedKeySchema = Type.Object(
  {
    thumbprint: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{64}$',
        description: "SHA-256 of the key's SubjectPublicKeyInfo DER, lowercase hex.",
      }),
    ),
    certificate: Type.Optional(
      Type.String({ maxLength: 16_384, description: 'Or: the PEM certificate of the leaked key.' }),
    ),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const ScanReply = {
  affectedAccounts: Type.Integer({ description: 'Active accounts on matching devices.' }),
  revokedAccounts: Type.Integer(),
};
