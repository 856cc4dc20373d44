import { Type, type Static } from '@sinclair/typebox';
import { APPLE_APP_ID_PATTERN } from '../attestation/apple/app-ids.js';

/** Apple App Attest options (config key `apple`). */
export const AppleConfigSchema = Type.Object(
  {
    appIds: Type.Array(Type.String({ pattern: APPLE_APP_ID_PATTERN }), {
      default: [],
      description:
        'App ids (TEAMID.bundleId) allowed to attest; an attestation must name one of them. App Attest verification needs at least one (JSON array in the env var).',
    }),
    environment: Type.Union([Type.Literal('production'), Type.Literal('development'), Type.Literal('any')], {
      default: 'production',
      description: 'App Attest environment accepted: production, development (apps signed for development) or any.',
    }),
    appleRoots: Type.Boolean({
      default: true,
      description:
        'Trust the shipped Apple roots: App Attestation Root CA for attestations, Apple Root CA - G3 for receipts. Switch off only to trust nothing but the extra root files (test deployments).',
    }),
    extraRootFiles: Type.Array(Type.String(), {
      default: [],
      description:
        "PEM files of further trusted attestation roots, e.g. the simulator's test root (JSON array in the env var).",
    }),
    checkReceipts: Type.Boolean({
      default: true,
      description:
        "Verify the attestation's receipt (CMS signed by Apple, chaining to Apple Root CA - G3) and that it belongs to this attestation; off skips it and reports the receipt bytes only.",
    }),
    extraReceiptRootFiles: Type.Array(Type.String(), {
      default: [],
      description:
        "PEM files of further trusted receipt roots besides Apple Root CA - G3, e.g. the simulator's receipt root (JSON array in the env var).",
    }),
    maxChainLength: Type.Integer({
      minimum: 2,
      maximum: 8,
      default: 3,
      description: 'Longest accepted certificate chain (attestation x5c and receipt); Apple sends 2 and 3.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type AppleConfig = Static<typeof AppleConfigSchema>;
