import type { FastifyReply, FastifyRequest } from 'fastify';

type OnSend = (
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: null, payload: unknown) => void,
) => void;

/**
 * Marks every reply of the plugin's routes `Cache-Control: no-store` unless a route sets its own:
 * challenges, tokens and certificates are for one client once, never for a cache.
 */
export function noStore(app: { addHook(name: 'onSend', hook: OnSend): unknown }): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
