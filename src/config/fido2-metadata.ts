import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_REFUSED_STATUSES } from '../attestation/webauthn/metadata/status-policy.js';

/** Where Keyward downloads the MDS3 BLOB unless configured otherwise. */
export const FIDO_MDS3_URL = 'https://mds3.fidoalliance.org/';

const MetadataServerSchema = Type.Object(
  {
    url: Type.String({
      pattern: '^https?://[^\\s]+$',
      description: 'URL the BLOB (a JWS in compact form) is downloaded from with GET.',
    }),
    rootCertFile: Type.Optional(
      Type.String({
        description:
          "PEM file of the root this server's BLOB must chain to; when set it replaces GlobalSign Root CA – R3 and rootFiles for this server (Janssen's rootCert).",
      }),
    ),
  },
  { additionalProperties: false },
);

/** FIDO Metadata Service v3 options (config key `fido2.mds`): where the BLOB comes from, how it is verified and kept current. */
export const Fido2MetadataConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Use the FIDO Metadata Service BLOB: download it (or read blobFile), keep it in the database and look authenticators up in it. Off: only the local folder is used, and no BLOB is downloaded or read from the database.',
    }),
    servers: Type.Array(MetadataServerSchema, {
      default: [{ url: FIDO_MDS3_URL }],
      description:
        'Metadata servers ({url, rootCertFile?}), tried in order until one answers with a BLOB that verifies. Empty: nothing is downloaded; instances then use the BLOB another instance (or `keyward mds refresh`) stored in the shared database (JSON array in the env var).',
    }),
    rootFiles: Type.Array(Type.String(), {
      default: [],
      description:
        'PEM files of further roots a BLOB may chain to besides the shipped GlobalSign Root CA – R3 (JSON array in the env var).',
    }),
    crlCheck: Type.Union([Type.Literal('ifAvailable'), Type.Literal('required'), Type.Literal('off')], {
      default: 'ifAvailable',
      description:
        "Revocation of the BLOB signer's chain: ifAvailable checks every CRL that can be fetched or is in crlFiles and goes on without the others (Janssen's soft fail); required refuses the BLOB when a CRL is missing; off checks none. A certificate a CRL lists as revoked always rejects the BLOB.",
    }),
    crlFiles: Type.Array(Type.String(), {
      default: [],
      description:
        "CRL files (DER or PEM) used instead of fetching the chain's CRL distribution points, for offline deployments; each answers for the certificates its issuer signed (JSON array in the env var).",
    }),
    blobFile: Type.String({
      default: '',
      description:
        'Read the BLOB from this file instead of downloading it (offline deployments; servers are then not contacted, and CRLs come only from crlFiles). It is verified like a download and stored when its no is greater than the stored one.',
    }),
    folder: Type.String({
      default: '',
      description:
        "Directory of local metadata statements (Janssen's serverMetadataFolder): each *.json file holds a metadata statement or an MDS entry, looked up by AAGUID or key identifier and overriding the BLOB for the same authenticator. A file that does not parse is logged and skipped. Empty: none.",
    }),
    graceDays: Type.Integer({
      minimum: 0,
      maximum: 365,
      default: 7,
      description:
        'How many days past its nextUpdate a BLOB is still trusted while no newer one can be obtained; then only the local folder is used and /ready reports the metadata as expired.',
    }),
    startupRetries: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 3,
      description:
        "Download attempts at start when the database holds no current BLOB (Janssen's default 3), startupRetryDelaySeconds apart. They run in the background: the server starts and serves meanwhile.",
    }),
    startupRetryDelaySeconds: Type.Number({
      minimum: 0,
      maximum: 3600,
      default: 30,
      description: 'Pause between the start-up download attempts.',
    }),
    retryIntervalSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 3600,
      description:
        'After the start-up attempts, or a refresh at nextUpdate, have failed: how long until the next attempt (repeated until one succeeds).',
    }),
    storePollSeconds: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: 600,
      description:
        'How often each instance checks the database for a newer BLOB stored by another instance or by `keyward mds refresh` (a cheap query; the BLOB is read only when newer). 0: only at nextUpdate and on refresh.',
    }),
    fetchTimeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 600_000,
      default: 30_000,
      description: 'Longest wait for a BLOB download or a CRL fetch.',
    }),
    maxBlobBytes: Type.Integer({
      minimum: 1024,
      maximum: 512 * 1024 * 1024,
      default: 64 * 1024 * 1024,
      description: 'Largest BLOB accepted (downloaded or read from blobFile); the real BLOB is a few megabytes.',
    }),
    refuseStatuses: Type.Array(Type.String({ pattern: '^[A-Z][A-Z0-9_]*$' }), {
      default: [...DEFAULT_REFUSED_STATUSES],
      description:
        'Metadata statuses that refuse an authenticator (in enforced mode; recorded in monitor mode) when the latest status report in effect at registration has one of them (JSON array in the env var).',
    }),
    minCertificationLevel: Type.String({
      default: '',
      pattern: '^(|FIDO_CERTIFIED(_L[123](plus)?)?)$',
      description:
        'Lowest FIDO certification level accepted (e.g. FIDO_CERTIFIED_L1); empty: no minimum. An authenticator whose latest certification status is lower, or that has none, is refused like a refused status.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type Fido2MetadataConfig = Static<typeof Fido2MetadataConfigSchema>;
