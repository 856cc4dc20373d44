import { Type, type Static } from '@sinclair/typebox';

/** The operator console (config key `console`, docs/console.md). */
export const ConsoleConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Serve the operator console at /console (sign-in with operator accounts made by keyward operators add). With no operator account it only offers the sign-in page.',
    }),
    sessionIdleMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 30,
      description: 'A console session unused for this long ends; the operator signs in again.',
    }),
    sessionMaxHours: Type.Integer({
      minimum: 1,
      maximum: 168,
      default: 12,
      description: 'A console session ends this long after sign-in, however active.',
    }),
    login: Type.Object(
      {
        maxFailures: Type.Integer({
          minimum: 1,
          maximum: 1000,
          default: 5,
          description:
            'Failed sign-ins, per user name and per client address, that lock further attempts for lockoutSeconds (counted over lockoutSeconds).',
        }),
        lockoutSeconds: Type.Integer({
          minimum: 1,
          maximum: 86_400,
          default: 900,
          description: 'How long a user name or address stays locked after maxFailures failed sign-ins.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    pageSize: Type.Integer({
      minimum: 10,
      maximum: 500,
      default: 50,
      description: 'Rows per page of the console lists.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type ConsoleConfig = Static<typeof ConsoleConfigSchema>;

/** The decision log (config key `decisionLog`): every verification decision, append-only, written in batches off the hot path. */
export const DecisionLogConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Record every verification decision (Warden, MDVM, WebAuthn, DSR, provisioning) in the decision_events table, for the console and audits.',
    }),
    retentionDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 90,
      description: 'Decisions older than this are deleted (each instance checks hourly, in small batches).',
    }),
    flushIntervalMs: Type.Integer({
      minimum: 10,
      maximum: 10_000,
      default: 250,
      description:
        'Decisions are buffered and written in one statement at most this often (or at 500 buffered); a graceful stop writes what is buffered. A killed process loses at most this interval of log entries, never a decision.',
    }),
    maxBuffered: Type.Integer({
      minimum: 100,
      maximum: 1_000_000,
      default: 50_000,
      description:
        'While the database cannot take writes, at most this many decisions wait in memory; beyond it the oldest are dropped and counted (keyward_decision_log_dropped_total).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type DecisionLogConfig = Static<typeof DecisionLogConfigSchema>;
