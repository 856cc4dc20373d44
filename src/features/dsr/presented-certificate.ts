import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseEscapedCertificate } from './pep/request-context.js';

export interface PresentedCertificateOptions {
  trustedProxies: BlockList;
  /** Lowercase name of the header a proxy forwards $ssl_client_escaped_cert in. */
  header: string;
}

/** Whether a remote address is one of the trusted proxies (an IPv4-mapped IPv6 address counts as its IPv4 address). */
export function fromTrustedProxy(address: string | undefined, proxies: BlockList): boolean {
  if (!address) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return proxies.check(mapped, 'ipv4');
  return proxies.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
}

/**
 * The client certificate (DER) of a request: the one presented to Keyward's own TLS listener,
 * or, on a connection from a trusted proxy, the one it forwards (URL-escaped PEM, nginx's
 * $ssl_client_escaped_cert; empty when the client presented none). A forwarded header from any
 * other address is ignored, as is one on a TLS connection. Undefined when there is none; a
 * malformed forwarded certificate throws DSR_PEP_CERTIFICATE_MALFORMED.
 */
export function presentedCertificate(
  raw: IncomingMessage,
  headers: IncomingHttpHeaders,
  options: PresentedCertificateOptions,
): Buffer | undefined {
  const socket = raw.socket as TLSSocket;
  if (socket.encrypted) {
    const peer = socket.getPeerCertificate(false);
    return peer && Buffer.isBuffer(peer.raw) && peer.raw.length > 0 ? peer.raw : undefined;
  }
  const forwarded = headers[options.header];
  if (typeof forwarded !== 'string' || forwarded === '') return undefined;
  if (!fromTrustedProxy(socket.remoteAddress, options.trustedProxies)) return undefined;
  return parseEscapedCertificate(forwarded);
}
