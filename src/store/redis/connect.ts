import { Redis } from 'ioredis';

export interface RedisOptions {
  url: string;
  /** Called with connection errors; ioredis keeps reconnecting meanwhile. */
  onError?: (error: Error) => void;
}

/**
 * One ioredis client. Auto-pipelining groups only the commands issued on the client itself (such
 * as readiness PINGs); the challenge store sends each event-loop turn's commands as one explicit
 * pipeline of its own, which ioredis does not auto-pipeline.
 */
export function connectRedis(options: RedisOptions): Redis {
  const redis = new Redis(options.url, {
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    lazyConnect: false,
  });
  redis.on('error', (error) => options.onError?.(error));
  return redis;
}

export async function pingRedis(redis: Redis): Promise<void> {
  const reply = await redis.ping();
  if (reply !== 'PONG') throw new Error(`unexpected Redis PING reply ${reply}`);
}
