import { Type, type Static } from '@sinclair/typebox';
import { ERROR_CATEGORIES } from '../../errors.js';
import { REVOCATION_REASONS } from '../../store/binding-certificate-store.js';

const Base64Url = Type.String({ pattern: '^[A-Za-z0-9_-]*$', description: 'base64url without padding' });

export const WardenChallengeSchema = Type.Object(
  {
    issuedAt: Type.Integer({ description: 'Epoch milliseconds, shifted back by the clock-skew allowance.' }),
    validity: Type.Integer({ description: 'Seconds after issuedAt until the nonce is refused.' }),
    timeZone: Type.Union([Type.String(), Type.Null()], { description: 'IANA time zone (informational).' }),
    nonce: Base64Url,
    attestationEndpoint: Type.String({ description: 'Absolute URL to POST the proof to.' }),
    proofOID: Type.String(),
    genericDeviceNameOID: Type.Union([Type.String(), Type.Null()]),
    version: Type.Union([Type.Literal(2), Type.Literal(3)]),
    keyConstraints: Type.Unknown(),
    additionalPayload: Type.Null(),
    dataAuth: Type.Union([
      Type.Object({ type: Type.Literal('SIGNATURE') }, { additionalProperties: false }),
      Type.Object(
        {
          type: Type.Literal('HASH'),
          algorithm: Type.Union([Type.Literal('SHA256'), Type.Literal('SHA384'), Type.Literal('SHA512')]),
        },
        { additionalProperties: false },
      ),
    ]),
  },
  { $id: 'WardenChallenge', title: 'Warden Challenge (data format version 2/3)', additionalProperties: false },
);
/** The Challenge JSON (data format version 2, or 3 with HASH): exactly Warden's keys, which its clients parse strictly. */
export type WardenChallenge = Static<typeof WardenChallengeSchema>;

export const WardenSuccessSchema = Type.Object(
  {
    type: Type.Literal('Success'),
    certificateChain: Type.Array(Base64Url, {
      minItems: 1,
      description: 'DER certificates, leaf first, ending with the root.',
    }),
  },
  { additionalProperties: false },
);

export type WardenSuccess = Static<typeof WardenSuccessSchema>;

export const WardenFailureSchema = Type.Object(
  {
    type: Type.Literal('Failure'),
    kind: Type.Union(ERROR_CATEGORIES.map((kind) => Type.Literal(kind))),
    explanation: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const WardenResponseSchema = Type.Union([WardenSuccessSchema, WardenFailureSchema], {
  $id: 'WardenAttestationResponse',
  title: 'Warden attestation response',
});
export type WardenResponse = Static<typeof WardenResponseSchema>;

export const CertificateSerial = Type.Object({
  serial: Type.String({ pattern: '^[0-9a-f]{1,64}$', description: 'Certificate serial, lowercase hex.' }),
});

export const CertificateListQuery = Type.Object({
  keyThumbprint: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

export const RevokeCertificateBody = Type.Object(
  {
    reason: Type.Union(
      REVOCATION_REASONS.map((reason) => Type.Literal(reason)),
      { default: 'unspecified' },
    ),
  },
  { additionalProperties: false },
);

export const BindingCertificateView = Type.Object({
  serial: Type.String(),
  policy: Type.String(),
  platform: Type.String(),
  subject: Type.String(),
  keyThumbprint: Type.String(),
  summary: Type.Record(Type.String(), Type.Unknown()),
  issuedAt: Type.String({ format: 'date-time' }),
  notAfter: Type.String({ format: 'date-time' }),
  revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  revocationReason: Type.Optional(Type.String()),
});
