import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const REQUEST_TIMEOUT_MS = 2000;
const IDLE_TIMEOUT_MS = 2000;
/** Node checks request timeouts every second at most; the rest is slack for a loaded machine. */
const SLACK_MS = 1500;

let server: TestServer;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startTestServer({
    options: { requestTimeoutMs: REQUEST_TIMEOUT_MS, idleConnectionTimeoutMs: IDLE_TIMEOUT_MS },
  });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await server?.close();
});

interface Outcome {
  /** What the server sent before closing. */
  received: string;
  closedAfterMs: number;
}

/** Opens a raw connection, lets `feed` write to it, and resolves when the server closes it (or after `giveUpMs`). */
function rawConnection(feed: (socket: Socket) => void, giveUpMs: number): Promise<Outcome | 'still open'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let received = '';
    let started = 0;
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve('still open');
    }, giveUpMs);
    socket.on('connect', () => {
      started = performance.now();
      feed(socket);
    });
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ received, closedAfterMs: performance.now() - started });
    });
  });
}

/** Writes `chunk` every `everyMs` until the socket closes. */
function trickle(socket: Socket, chunk: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.writable) socket.write(chunk);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

describe('connection limits', () => {
  it('closes a connection that sends nothing after idleConnectionTimeoutMs', async () => {
    const outcome = await rawConnection(() => {}, IDLE_TIMEOUT_MS + 5000);
    expect(outcome).not.toBe('still open');
    const { closedAfterMs } = outcome as Outcome;
    expect(closedAfterMs).toBeGreaterThan(IDLE_TIMEOUT_MS - 100);
    expect(closedAfterMs).toBeLessThan(IDLE_TIMEOUT_MS + SLACK_MS);
  });

  it('answers 408 when the headers have not arrived within requestTimeoutMs, however steadily they trickle', async () => {
    // A header line every 300 ms keeps the connection busy, never idle.
    const outcome = await rawConnection((socket) => {
      socket.write('GET /health HTTP/1.1\r\nHost: keyward\r\n');
      trickle(socket, 'X-Slow: 1\r\n', 300);
    }, REQUEST_TIMEOUT_MS + 5000);
    expect(outcome).not.toBe('still open');
    const { received, closedAfterMs } = outcome as Outcome;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('answers 408 when the body has not arrived within requestTimeoutMs, long before it would complete', async () => {
    // 300 bytes, one every 200 ms: a minute for the whole body.
    const outcome = await rawConnection((socket) => {
      socket.write(
        'POST /v1/challenges HTTP/1.1\r\nHost: keyward\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n',
      );
      trickle(socket, ' ', 200);
    }, REQUEST_TIMEOUT_MS + 5000);
    expect(outcome).not.toBe('still open');
    const { received, closedAfterMs } = outcome as Outcome;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
  });
});
