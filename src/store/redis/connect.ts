import { Redis } from 'ioredis';

export interface RedisOptions {
  url: string;
  /** Called with connection errors; ioredis keeps reconnecting meanwhile. */
  onError?: (error: Error) => void;
}

/** One ioredis client with auto-pipelining (concurrent commands share round trips). */
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
