import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ChallengeService } from './challenges/challenge-service.js';
import { systemClock, type Clock } from './clock.js';
import { resolveDatabaseUrl } from './config/derived.js';
import type { KeywardConfig } from './config/schema.js';
import { loadServerKeys, type ServerKeys } from './keys/load-keys.js';
import { Metrics } from './metrics.js';
import type { ChallengeStore } from './store/challenge-store.js';
import { RedisChallengeStore } from './store/redis/challenge-store.js';
import { connectRedis, pingRedis } from './store/redis/connect.js';
import { openStore, type Store } from './store/store.js';

/** Everything a running Keyward needs, built once from configuration (the composition root). */
export interface Services {
  readonly config: KeywardConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: Store;
  readonly redis: Redis | undefined;
  readonly challenges: ChallengeService;
  readonly keys: ServerKeys;
  /** Resolves when every backing service answers; rejects naming the first that does not. */
  checkReady(): Promise<ReadinessReport>;
  close(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | 'failed'>;
}

export interface ServiceOptions {
  clock?: Clock;
  metrics?: Metrics;
}

export async function createServices(config: KeywardConfig, logger: Logger, options: ServiceOptions = {}): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? new Metrics();
  const keys = loadServerKeys(config, clock);
  const store = await openStore({
    url: resolveDatabaseUrl(config),
    schema: config.databaseSchema,
    poolSize: config.databasePoolSize,
    migrate: config.migrateOnStart,
    onPoolError: (error) => logger.error({ err: error }, 'database connection error'),
    onCheckpointError: (message) => logger.warn({ error: message }, 'background WAL checkpoint failed'),
  });
  let redis: Redis | undefined;
  let challengeStore: ChallengeStore = store.challenges;
  if (config.redisUrl) {
    redis = connectRedis({ url: config.redisUrl, onError: (error) => logger.error({ err: error }, 'redis connection error') });
    challengeStore = new RedisChallengeStore(redis, config.redisKeyPrefix);
  }
  const challenges = new ChallengeService(challengeStore, clock, config.challenges, metrics.challenges);
  const stopPurging = challengeStore === store.challenges ? challenges.startPurging((error) => logger.warn({ err: error }, 'challenge purge failed')) : () => {};

  return {
    config,
    clock,
    logger,
    metrics,
    store,
    redis,
    challenges,
    keys,
    async checkReady() {
      const checks: ReadinessReport['checks'] = {};
      const probe = async (name: string, check: () => Promise<void>) => {
        try {
          await withTimeout(check(), 2000);
          checks[name] = 'ok';
        } catch (error) {
          logger.warn({ err: error, check: name }, 'readiness check failed');
          checks[name] = 'failed';
        }
      };
      await Promise.all([probe('database', () => store.ping()), ...(redis ? [probe('redis', () => pingRedis(redis))] : [])]);
      return { ready: Object.values(checks).every((status) => status === 'ok'), checks };
    },
    async close() {
      stopPurging();
      await Promise.allSettled([store.close(), redis ? redis.quit().then(() => undefined) : Promise.resolve()]);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
