import type { App } from './app-type.js';
import type { Metrics } from '../metrics.js';
import { requireApiKey } from '../http-kit/api-keys.js';

/** Counts and times every request by route template; serves /metrics when enabled. */
export function installMetrics(app: App, metrics: Metrics, options: { enabled: boolean; bearerToken: string }): void {
  // Labelled children are looked up once per (method, route, status): prom-client's own label hashing is per call.
  type Child = {
    count: ReturnType<Metrics['httpRequests']['labels']>;
    duration: ReturnType<Metrics['httpDuration']['labels']>;
  };
  const children = new Map<string, Child>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) {
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      child = { count: metrics.httpRequests.labels(labels), duration: metrics.httpDuration.labels(labels) };
      children.set(key, child);
    }
    child.count.inc();
    child.duration.observe(reply.elapsedTime / 1000);
    done();
  });
  if (!options.enabled) return;
  const onRequest = options.bearerToken
    ? requireApiKey([options.bearerToken], 'A valid bearer token is required.')
    : undefined;
  app.get('/metrics', { schema: { hide: true }, ...(onRequest ? { onRequest } : {}) }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
