import { Type, type Static } from '@sinclair/typebox';
import { APPLE_APP_ID_PATTERN } from '../attestation/apple/app-ids.js';

/** Mobile device vulnerability management for wallet instances (config key `mdvm`, docs/protocols/mdvm.md). */
export const MdvmConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve the MDVM endpoints under /v1/mdvm.' }),
    issuer: Type.String({
      minLength: 1,
      default: 'keyward-mdvm',
      description:
        "iss of auth challenges, mdvm_tokens and revocation lists; relying backends check it. Use the MDVM's public URL in production.",
    }),
    challengeTtlSeconds: Type.Integer({
      minimum: 30,
      maximum: 3600,
      default: 300,
      description: 'How long an mdvm_auth_challenge can be used (once).',
    }),
    tokenLifetimeSeconds: Type.Integer({
      minimum: 60,
      maximum: 604_800,
      default: 3600,
      description: 'Lifetime of an mdvm_token.',
    }),
    tokenFormat: Type.Union([Type.Literal('reference'), Type.Literal('documented')], {
      default: 'reference',
      description:
        'reference: header typ "mdvm-token+jwt" with kid and x5c, claims iss, iat, exp, mdvm_wi_id, cnf.jwk (what the reference MDVM issues). documented: header typ "mdvm-token-jwt" with kid, claims iss, iat, exp, mdvm_wi_id and the JWK directly as cnf (the architecture documentation\'s form).',
    }),
    signatureMaxAgeSeconds: Type.Integer({
      minimum: 10,
      maximum: 3600,
      default: 300,
      description: 'HTTP message signatures must carry a created time at most this old.',
    }),
    signatureMaxSkewSeconds: Type.Integer({
      minimum: 0,
      maximum: 600,
      default: 30,
      description: "How far in the future a signature's created time may lie (client clocks).",
    }),
    signatureEncodings: Type.Array(Type.Union([Type.Literal('raw'), Type.Literal('der')]), {
      minItems: 1,
      uniqueItems: true,
      default: ['raw', 'der'],
      description:
        'Encodings accepted for wallet signatures (ecdsa-p256-sha256): raw is RFC 9421\'s 64-byte r‖s, der the DER SEQUENCE that Java\'s SHA256withECDSA produces and the reference wallet sends (and the reference MDVM verifies). Told apart by shape; the one used is logged per request (signatureEncodings). ["raw"] holds wallets to RFC 9421.',
    }),
    maxBodyBytes: Type.Integer({
      minimum: 4096,
      maximum: 1_048_576,
      default: 65_536,
      description: 'Largest request body the MDVM endpoints accept.',
    }),
    android: Type.Record(Type.String(), Type.Unknown(), {
      default: {
        minOsVersion: 140000,
        maxPatchAgeMonths: 12,
        requireLockedBootloader: true,
        requireGeneratedKey: true,
      },
      description:
        "android.policy options to override for wallet instances (the reference's checks by default: Android 14 or newer, patch level at most 12 months old, locked bootloader with verified boot, generated key). Name apps here to pin package, signer and minimum version.",
    }),
    ios: Type.Object(
      {
        appIds: Type.Array(Type.String({ pattern: APPLE_APP_ID_PATTERN }), {
          default: [],
          description:
            'Wallet app ids (TEAMID.bundleId) whose App Attest keys may register; empty uses apple.appIds (JSON array in the env var).',
        }),
        environment: Type.Union(
          [Type.Literal(''), Type.Literal('production'), Type.Literal('development'), Type.Literal('any')],
          {
            default: '',
            description: 'App Attest environment accepted for wallet instances; empty uses apple.environment.',
          },
        ),
        minOsVersion: Type.String({
          pattern: '^\\d+(\\.\\d+){0,2}$',
          default: '18.0',
          description:
            'Lowest iOS version accepted: at registration the version Apple signed into the App Attest credential certificate, at renewal the reported wi_device_class.systemVersion (which may only rise).',
        }),
        allowUnsignedOsVersion: Type.Boolean({
          default: false,
          description:
            'Register iOS devices whose App Attest credential certificate carries no OS version (extension 1.2.840.113635.100.8.7, absent on old iOS releases), deciding on the self-reported wi_device_class.systemVersion instead. Off: such devices are refused, since a reported version can be forged.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    signingKeysFile: Type.String({
      default: '',
      description:
        'JSON file of mdvm_token signing keys with their certificate chains (keyward mdvm keys init / rotate). Empty: a development set is generated under <dataDir>/keys/mdvm.',
    }),
    revocationListLimit: Type.Integer({
      minimum: 100,
      maximum: 1_000_000,
      default: 10_000,
      description: "Most entries one signed revocation list carries; clients page with since= and the list's next.",
    }),
  },
  { additionalProperties: false, default: {} },
);

export type MdvmConfig = Static<typeof MdvmConfigSchema>;
