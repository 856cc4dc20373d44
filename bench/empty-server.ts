import Fastify from 'fastify';

/**
 * The HTTP ceiling for the challenge and Warden benchmarks: a Fastify server that answers the
 * same routes with fixed bodies of the same size and does nothing else (no validation, logging,
 * storage or cryptography). What Keyward reaches, or spends per request, is reported against what
 * this reaches on the same machine in the same run.
 */
const port = Number(process.argv[2]);
const app = Fastify({ logger: false });
const challenge = Buffer.alloc(32, 7).toString('base64url');
app.get('/health', async () => ({ status: 'ok' }));
app.post('/v1/challenges', async () => ({ challenge, expiresAt: new Date().toISOString() }));
app.post('/v1/challenges/consume', async () => ({ purpose: 'default', issuedAt: new Date().toISOString() }));
// Warden-shaped: a challenge of the real one's size, and a raw body in, a chain of three certificates out.
const wardenChallenge = { nonce: Buffer.alloc(64, 7).toString('base64url'), padding: 'x'.repeat(420) };
const certificate = Buffer.alloc(560, 9).toString('base64url');
app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.get('/api/v1/challenge', async () => wardenChallenge);
app.post('/api/v1/attest', async () => ({
  type: 'Success',
  certificateChain: [certificate, certificate, certificate],
}));
await app.listen({ host: '127.0.0.1', port });
