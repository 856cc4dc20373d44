import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '../../crypto/keys.js';
import { bearerToken } from '../../http-kit/api-keys.js';
import type { AuditEventStore } from '../../store/console-store.js';
import type { Clock } from '../../clock.js';

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The operator API's paths (admin.apiKeys): Keyward's /admin/… and the MDVM's operator routes. */
const OPERATOR_API = /^\/(admin\/|v1\/mdvm\/(accounts|vulnerable-device-classes|leaked-keys))/;

/**
 * Puts every successful change made through the operator API on the audit trail, as
 * "api-key:<first 8 hex of the key's SHA-256>" (never the key), before the answer is sent.
 */
export function installApiAudit(app: FastifyInstance, deps: { audit: AuditEventStore; clock: Clock }): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (!CHANGES.has(request.method) || reply.statusCode >= 400) return payload;
    const path = request.url.split('?')[0]!;
    if (!OPERATOR_API.test(path)) return payload;
    const token = bearerToken(request.headers.authorization);
    if (!token) return payload;
    const params = Object.values((request.params ?? {}) as Record<string, string>);
    await deps.audit.append({
      at: deps.clock.now(),
      actor: `api-key:${sha256Hex(Buffer.from(token)).slice(0, 8)}`,
      actorKind: 'api-key',
      action: `${request.method} ${request.routeOptions.url ?? path}`,
      ...(params.length > 0 ? { target: params.join(' ') } : {}),
      outcome: 'ok',
      address: request.ip,
      detail: { status: reply.statusCode },
      requestId: request.id,
    });
    return payload;
  });
}
