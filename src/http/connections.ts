import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { App } from './app-type.js';

export interface ConnectionSettings {
  requestTimeoutMs: number;
  idleConnectionTimeoutMs: number;
  /** 0: derived from the open-file limit (see {@link automaticMaxConnections}). */
  maxConnections: number;
}

export interface ConnectionControl {
  /** The cap on open connections in force. */
  readonly maxConnections: number;
  /**
   * From now on replies say Connection: close, and connections that never sent a request are
   * closed; idle keep-alive connections are closed by the server's close().
   */
  beginShutdown(): void;
}

/** Open files kept for the database, Redis, key and log files when the cap is derived from the limit. */
const FILE_HEADROOM = 256;
const FALLBACK_MAX_CONNECTIONS = 10_000;

/**
 * Bounds what a connection may cost: a silent connection (before its first request or between
 * keep-alive requests) is closed after idleConnectionTimeoutMs, headers and body must both arrive
 * within requestTimeoutMs, and connections beyond the cap are closed as soon as they are accepted,
 * so idle sockets cannot use up the file descriptors the server needs. Call before listen.
 */
export function limitConnections(app: App, settings: ConnectionSettings): ConnectionControl {
  const server = app.server as Server;
  const maxConnections = settings.maxConnections || automaticMaxConnections();
  server.maxConnections = maxConnections;
  server.requestTimeout = settings.requestTimeoutMs;
  server.headersTimeout = settings.requestTimeoutMs;
  // Node checks both timeouts on this interval (30 s by default), which is how far they overshoot;
  // it reads the (untyped) property when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    Math.floor(settings.requestTimeoutMs / 4),
  );
  server.keepAliveTimeout = settings.idleConnectionTimeoutMs;

  // Node's timeouts start with a request; before the first byte only a socket timer notices silence.
  const awaitingFirstRequest = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    awaitingFirstRequest.add(socket);
    socket.setTimeout(settings.idleConnectionTimeoutMs);
    socket.once('close', () => awaitingFirstRequest.delete(socket));
  });
  server.on('request', (request) => {
    // Runs after Node took over the socket's timer for this request (keep-alive resets it itself).
    if (awaitingFirstRequest.delete(request.socket)) request.socket.setTimeout(0);
  });

  let closing = false;
  app.addHook('onSend', (_request, reply, _payload, done) => {
    if (closing) reply.header('connection', 'close');
    done();
  });
  return {
    maxConnections,
    beginShutdown() {
      closing = true;
      for (const socket of awaitingFirstRequest) socket.destroy();
    },
  };
}

/** The process's open-file limit less headroom (Linux); elsewhere a fixed cap. */
export function automaticMaxConnections(limits = readOpenFileLimit()): number {
  if (limits === undefined) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(1, limits - Math.min(FILE_HEADROOM, Math.floor(limits / 2)));
}

function readOpenFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line || line[1] === 'unlimited') return undefined;
    return Number(line[1]);
  } catch {
    return undefined;
  }
}
