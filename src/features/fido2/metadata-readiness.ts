import { Type, type Static } from '@sinclair/typebox';
import type { MetadataState } from './metadata-service.js';

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** The `metadata` member of /ready: what FIDO metadata the server trusts now. It never makes the server not ready. */
export const MetadataReadinessSchema = Type.Object(
  {
    status: Type.Union(
      ['current', 'stale', 'expired', 'loading', 'failed', 'missing', 'disabled'].map((status) => Type.Literal(status)),
      {
        description:
          'current: a verified BLOB before its nextUpdate. stale: past nextUpdate, within fido2.mds.graceDays, still used. expired: past the grace period, no longer used. loading: the start-up downloads are running. failed: no BLOB, and the last attempt failed. missing: no BLOB and none sought. disabled: fido2.mds.enabled is off. Only the local folder is used while no BLOB is trusted.',
      },
    ),
    no: Type.Optional(Type.Integer({ description: "The held BLOB's serial number." })),
    nextUpdate: Type.Optional(Type.String({ description: "The held BLOB's nextUpdate (YYYY-MM-DD)." })),
    verifiedAt: Type.Optional(Type.String({ format: 'date-time' })),
    entries: Type.Integer({ description: 'Entries of the held BLOB.' }),
    localEntries: Type.Integer({ description: 'Entries from the local metadata folder.' }),
    lastAttempt: Type.Optional(
      Type.Object({
        at: Type.String({ format: 'date-time' }),
        outcome: Type.String({ description: 'stored, adopted, superseded, unchanged or failed.' }),
      }),
    ),
    lastError: Type.Optional(
      Type.Object({
        at: Type.String({ format: 'date-time' }),
        code: Type.String(),
        message: Type.String(),
      }),
    ),
    nextAttemptAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { description: 'FIDO metadata (MDS3 BLOB and local folder); reported, never failing readiness.' },
);

export type MetadataReadiness = Static<typeof MetadataReadinessSchema>;

/**
 * The metadata state for /ready, without where the BLOB came from (file paths) or failure
 * details, which go to the log only.
 */
export function metadataReadiness(state: MetadataState): MetadataReadiness {
  return {
    status: state.status,
    ...(state.no !== undefined ? { no: state.no } : {}),
    ...(state.nextUpdate !== undefined ? { nextUpdate: state.nextUpdate } : {}),
    ...(state.verifiedAt !== undefined ? { verifiedAt: iso(state.verifiedAt) } : {}),
    entries: state.entries,
    localEntries: state.localEntries,
    ...(state.lastAttempt
      ? { lastAttempt: { at: iso(state.lastAttempt.at), outcome: state.lastAttempt.outcome } }
      : {}),
    ...(state.lastError
      ? { lastError: { at: iso(state.lastError.at), code: state.lastError.code, message: state.lastError.message } }
      : {}),
    ...(state.nextAttemptAt !== undefined ? { nextAttemptAt: iso(state.nextAttemptAt) } : {}),
  };
}
