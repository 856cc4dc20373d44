import Fastify from 'fastify';

/**
 * The HTTP ceiling for the challenge benchmark: a Fastify server that answers the same two
 * routes with fixed bodies and does nothing else. What Keyward reaches is reported as a
 * fraction of what this reaches on the same machine in the same run.
 */
const port = Number(process.argv[2]);
const app = Fastify({ logger: false });
const challenge = Buffer.alloc(32, 7).toString('base64url');
app.get('/health', async () => ({ status: 'ok' }));
app.post('/v1/challenges', async () => ({ challenge, expiresAt: new Date().toISOString() }));
app.post('/v1/challenges/consume', async () => ({ purpose: 'default', issuedAt: new Date().toISOString() }));
await app.listen({ host: '127.0.0.1', port });
