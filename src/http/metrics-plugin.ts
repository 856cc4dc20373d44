import type { App } from './app-type.js';
import type { Metrics } from '../metrics.js';
import { trustError } from '../errors.js';
import { bearerTokenMatches } from './auth.js';

/** Counts and times every request by route template; serves /metrics when enabled. */
export function installMetrics(app: App, metrics: Metrics, options: { enabled: boolean; bearerToken: string }): void {
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
  if (!options.enabled) return;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (options.bearerToken && !bearerTokenMatches(request.headers.authorization, options.bearerToken)) {
      throw trustError('UNAUTHORIZED', 'A valid bearer token is required.', { status: 401 });
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
