import { open } from 'node:fs/promises';
import type { SourceReader } from './policy-service.js';

const TIMEOUT_MS = 10_000;
/** The largest PIP list or bundle accepted, in bytes (the PIP lists' own bound). */
export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a PIP or bundle URL may be used: https, or http only to this machine. PIP lists replace
 * the signed bundle's lists, so they must not travel where a network attacker could rewrite them.
 */
export function acceptableSourceUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

async function readFileBounded(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size > MAX_SOURCE_BYTES) throw new Error(`${path} is larger than ${MAX_SOURCE_BYTES} bytes`);
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

/** The body as text, refused as soon as it passes MAX_SOURCE_BYTES, whatever Content-Length said. */
async function readBodyBounded(response: Response, source: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      length += chunk.byteLength;
      if (length > MAX_SOURCE_BYTES) {
        await response.body.cancel().catch(() => undefined);
        throw new Error(`${source} is larger than ${MAX_SOURCE_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, length).toString('utf8');
}

/**
 * Reads a PIP list or a bundle: http(s) URLs with a conditional GET (ETag), within a time and a
 * size limit and without following redirects; anything else as a file path. Throws an Error
 * saying why; the caller keeps what it had.
 */
export const readSource: SourceReader = async (source, etag) => {
  if (!/^https?:\/\//i.test(source)) return { text: await readFileBounded(source) };
  if (!acceptableSourceUrl(new URL(source))) throw new Error(`${source}: only https (or http to localhost) is read`);
  const response = await fetch(source, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: 'error',
    headers: etag ? { 'if-none-match': etag } : {},
  });
  if (response.status === 304) {
    await response.body?.cancel();
    return { notModified: true };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`${source} answered HTTP ${response.status}`);
  }
  const text = await readBodyBounded(response, source);
  const tag = response.headers.get('etag');
  return { text, ...(tag ? { etag: tag } : {}) };
};
