import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readAsset } from '../assets.js';

/** A file shipped under assets/, served from memory. */
export interface StaticFile {
  body: string;
  contentType: string;
  etag: string;
}

/** Reads an asset once and names its version by content (a strong ETag). */
export function staticFile(asset: string, contentType: string): StaticFile {
  const body = readAsset(asset);
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** Whether If-None-Match names the file's current version (a list, or `*`). */
const notModified = (ifNoneMatch: string | undefined, etag: string) =>
  ifNoneMatch?.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  }) ?? false;

/**
 * Sends the file for browsers to revalidate (no-cache with its ETag, so a new server version is
 * picked up at once): 304 when they hold this version.
 */
export function sendStaticFile(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  reply.headers({ 'cache-control': 'no-cache', etag: file.etag });
  if (notModified(request.headers['if-none-match'], file.etag)) return reply.code(304).send();
  return reply.type(file.contentType).send(file.body);
}
