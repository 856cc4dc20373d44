import { Type } from '@sinclair/typebox';
import { ERROR_CATEGORIES } from '../../errors.js';

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
      Type.Object({ type: Type.Literal('HASH'), algorithm: Type.Union([Type.Literal('SHA256'), Type.Literal('SHA384'), Type.Literal('SHA512')]) }, { additionalProperties: false }),
    ]),
  },
  { $id: 'WardenChallenge', title: 'Warden Challenge (data format version 2/3)', additionalProperties: false },
);

export const WardenSuccessSchema = Type.Object(
  {
    type: Type.Literal('Success'),
    certificateChain: Type.Array(Base64Url, { minItems: 1, description: 'DER certificates, leaf first, ending with the root.' }),
  },
  { additionalProperties: false },
);

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
