import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MAX_CHALLENGE_BYTES } from '../challenges/encoding.js';
import { AndroidConfigSchema } from './android.js';
import { AppleConfigSchema } from './apple.js';
import { ConsoleConfigSchema, DecisionLogConfigSchema } from './console.js';
import { DsrConfigSchema, TlsConfigSchema } from './dsr.js';
import { Fido2ConfigSchema } from './fido2.js';
import { MdvmConfigSchema } from './mdvm.js';
import { ProvisioningConfigSchema } from './provisioning.js';
import { WardenConfigSchema } from './warden.js';

/**
 * Every Keyward option, its default and why. `keyward config docs` prints this as the README's
 * configuration table; the env var of an option is KEYWARD_ + its path in SCREAMING_SNAKE_CASE
 * (challenges.ttlSeconds → KEYWARD_CHALLENGES_TTL_SECONDS). Options marked `secret` are
 * redacted whenever configuration is printed or logged.
 */
const secret = <T extends TSchema>(schema: T): T => ({ ...schema, secret: true });

const PurposeSettings = Type.Object(
  {
    bytes: Type.Optional(
      Type.Integer({ minimum: 16, maximum: MAX_CHALLENGE_BYTES, description: 'Challenge size for this purpose.' }),
    ),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'Lifetime for this purpose.' })),
  },
  { additionalProperties: false },
);

export const ChallengesSchema = Type.Object(
  {
    bytes: Type.Integer({
      minimum: 16,
      maximum: MAX_CHALLENGE_BYTES,
      default: 32,
      description: `Random bytes per challenge unless its purpose says otherwise (16–${MAX_CHALLENGE_BYTES}).`,
    }),
    ttlSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 300,
      description: 'How long an issued challenge can be consumed unless its purpose says otherwise.',
    }),
    retentionSeconds: Type.Integer({
      minimum: 0,
      maximum: 604_800,
      default: 3600,
      description:
        'How long spent and expired challenges are remembered after expiry, so replays are told apart from unknown challenges; then they are purged.',
    }),
    purgeIntervalSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 60,
      description: 'How often each instance deletes challenges past their retention.',
    }),
    purposes: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }), PurposeSettings, {
      default: { default: {} },
      description:
        'Purposes clients may request through POST /v1/challenges, each optionally with its own bytes and ttlSeconds (JSON in the env var). Protocols use their own purposes, so their names (warden, mdvm, fido2, dsr, provisioning) are refused: a generic challenge must never pass for a protocol nonce.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Interface to listen on; 0.0.0.0 for all.' }),
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 18013, description: 'TCP port to listen on.' }),
    publicBaseUrl: Type.String({
      default: '',
      pattern: '^(|https?://[^/?#]+(/[^?#]*)?)$',
      description:
        'Base URL clients reach this server at (used in links it hands out); empty means http://<host>:<port>.',
    }),
    dataDir: Type.String({
      default: './data',
      description: 'Directory for the embedded SQLite database and generated development keys.',
    }),
    databaseUrl: secret(
      Type.String({
        default: '',
        pattern: '^(|sqlite:.+|postgres(ql)?://.+)$',
        description:
          'postgres://… for PostgreSQL, sqlite:<path> for a SQLite file; empty means SQLite at <dataDir>/keyward.db.',
      }),
    ),
    databaseSchema: Type.String({
      default: '',
      pattern: '^([A-Za-z_][A-Za-z0-9_]{0,62})?$',
      description:
        'PostgreSQL schema holding Keyward tables (created if missing); empty means the search_path default.',
    }),
    databasePoolSize: Type.Integer({
      minimum: 1,
      maximum: 200,
      default: 10,
      description: 'PostgreSQL connections per instance.',
    }),
    sqliteSynchronous: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], {
      default: 'FULL',
      description:
        'SQLite durability. FULL syncs the write-ahead log at every commit, so a certificate or account confirmed to a client survives a power loss; NORMAL syncs only at checkpoints and may lose the last commits on a power loss (not on a process crash), for more throughput (docs/benchmarks.md gives the cost). The group commit makes one sync serve every write of an event-loop turn.',
    }),
    redisUrl: secret(
      Type.String({
        default: '',
        pattern: '^(|rediss?://.+)$',
        description:
          'redis://… to keep challenges (and rate limits) in Redis, shared by all instances; empty keeps them in the database.',
      }),
    ),
    redisKeyPrefix: Type.String({
      default: 'keyward:',
      description: 'Prefix of every Redis key, so several deployments can share one Redis.',
    }),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { default: 'info', description: 'pino log level.' },
    ),
    bodyLimitBytes: Type.Integer({
      minimum: 1024,
      maximum: 16 * 1024 * 1024,
      default: 256 * 1024,
      description: 'Largest request body accepted; larger bodies get 413.',
    }),
    requestTimeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 600_000,
      default: 30_000,
      description:
        'A request whose headers and body have not arrived within this time is answered 408 and closed (checked every second, or every quarter of this time if shorter).',
    }),
    idleConnectionTimeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 600_000,
      default: 10_000,
      description:
        "A connection that sends nothing for this long, before its first request or between keep-alive requests, is closed. Behind a load balancer that reuses idle connections, set it above the balancer's idle timeout.",
    }),
    maxConnections: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 0,
      description:
        'Open connections at most; further ones are closed as soon as they are accepted, so idle sockets cannot use up the file descriptors the server needs. 0 derives it from the open-file limit (ulimit -n), keeping 256 descriptors (at most half) for the database, Redis and files; 10000 where the limit cannot be read.',
    }),
    shutdownGraceMs: Type.Integer({
      minimum: 0,
      maximum: 600_000,
      default: 10_000,
      description: 'On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway.',
    }),
    trustProxy: Type.Boolean({
      default: false,
      description: 'Trust X-Forwarded-* headers (set when behind a reverse proxy).',
    }),
    migrateOnStart: Type.Boolean({
      default: true,
      description:
        'Apply pending database migrations at start (several instances may start at once; migrations are locked).',
    }),
    challenges: ChallengesSchema,
    android: AndroidConfigSchema,
    apple: AppleConfigSchema,
    warden: WardenConfigSchema,
    mdvm: MdvmConfigSchema,
    fido2: Fido2ConfigSchema,
    dsr: DsrConfigSchema,
    provisioning: ProvisioningConfigSchema,
    tls: TlsConfigSchema,
    console: ConsoleConfigSchema,
    decisionLog: DecisionLogConfigSchema,
    trustSimulatorRoots: Type.Boolean({
      default: false,
      description:
        "Trust the simulator's published test roots (assets/simulator) for Android, Apple and WebAuthn attestations. For demos and tests only: anyone can make chains that end in them. Logs a warning at start and with every decision a simulator root made possible (Warden issuances, MDVM registrations and renewals, WebAuthn registrations); /ready reports simulatorRootsTrusted.",
    }),
    admin: Type.Object(
      {
        apiKeys: secret(
          Type.Array(Type.String({ minLength: 24 }), {
            default: [],
            description:
              'API keys (at least 24 characters) accepted as "Authorization: Bearer <key>" on operator endpoints (/admin/…, the MDVM\'s accounts, vulnerable device classes and leaked keys); none configured disables them (JSON array in the env var).',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    keys: Type.Object(
      {
        generateDevelopmentKeys: Type.Boolean({
          default: true,
          description:
            'When a key file option is empty, generate a development key under <dataDir>/keys on first start (with a warning). Set false in production so a missing key stops the start.',
        }),
        macKeysFile: secret(
          Type.String({
            default: '',
            description:
              'JSON file of HS256 keys for challenge tokens ({"keys":[{"kid","secret","createdAt"}]}, newest signs).',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve Prometheus metrics at /metrics.' }),
        bearerToken: secret(
          Type.String({
            default: '',
            pattern: '^(.{24,})?$',
            description:
              'When set (at least 24 characters, like admin.apiKeys), /metrics requires Authorization: Bearer <token>.',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    docs: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve the browsable API docs at /docs.' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type KeywardConfig = Static<typeof ConfigSchema>;
export type ChallengesConfig = Static<typeof ChallengesSchema>;
export type AndroidConfig = Static<typeof AndroidConfigSchema>;
