import { readFile } from 'node:fs/promises';
import type { SourceReader } from './policy-service.js';

const TIMEOUT_MS = 10_000;
/** The largest PIP list or bundle accepted (the PIP lists' own bound). */
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * Reads a PIP list or a bundle: http(s) URLs with a conditional GET (ETag) within a time and
 * size limit, anything else as a file path. Throws an Error saying why; the caller keeps what it had.
 */
export const readSource: SourceReader = async (source, etag) => {
  if (!/^https?:\/\//i.test(source)) {
    const text = await readFile(source, 'utf8');
    if (text.length > MAX_BYTES) throw new Error(`${source} is larger than ${MAX_BYTES} bytes`);
    return { text };
  }
  const response = await fetch(source, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: 'follow',
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
  if (Number(response.headers.get('content-length') ?? 0) > MAX_BYTES) {
    await response.body?.cancel();
    throw new Error(`${source} declares more than ${MAX_BYTES} bytes`);
  }
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new Error(`${source} is larger than ${MAX_BYTES} bytes`);
  const tag = response.headers.get('etag');
  return { text, ...(tag ? { etag: tag } : {}) };
};
