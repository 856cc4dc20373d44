import type { FastifyInstance } from 'fastify';
import { admittedKeyFingerprint } from '../../http-kit/api-keys.js';
import type { AuditEventStore } from '../../store/console-store.js';
import type { Clock } from '../../clock.js';

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Puts every successful change made through the operator API on the audit trail, as
 * "api-key:<first 8 hex of the key's SHA-256>" (never the key), before the answer is sent. The
 * operator routes are those requireApiKey guards, whatever their path.
 */
export function installApiAudit(app: FastifyInstance, deps: { audit: AuditEventStore; clock: Clock }): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (!CHANGES.has(request.method) || reply.statusCode >= 400) return payload;
    const key = admittedKeyFingerprint(request);
    if (!key) return payload;
    const params = Object.values((request.params ?? {}) as Record<string, string>);
    await deps.audit.append({
      at: deps.clock.now(),
      actor: `api-key:${key}`,
      actorKind: 'api-key',
      action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
      ...(params.length > 0 ? { target: params.join(' ') } : {}),
      outcome: 'ok',
      address: request.ip,
      detail: { status: reply.statusCode },
      requestId: request.id,
    });
    return payload;
  });
}
