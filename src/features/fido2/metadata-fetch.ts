import { readFileSync, statSync } from 'node:fs';
import { internalError } from '../../errors.js';

export interface FetchedBytes {
  status: number;
  body: Uint8Array;
}

export interface FetchLimits {
  timeoutMs: number;
  /** A body longer than this is refused while it arrives. */
  maxBytes: number;
  /** Aborts the fetch (the service stopping). */
  signal?: AbortSignal;
}

/** Outbound fetches of BLOBs and CRLs go through this, so tests and offline deployments need no network. */
export type MetadataFetcher = (url: string, limits: FetchLimits) => Promise<FetchedBytes>;

/** GET over HTTP(S), following redirects, within the time limit and the size limit (both cover the whole body). */
export const httpMetadataFetcher: MetadataFetcher = async (url, { timeoutMs, maxBytes, signal }) => {
  const timeout = AbortSignal.timeout(timeoutMs);
  const response = await fetch(url, {
    signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    redirect: 'follow',
  });
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`the answer declares ${declared} bytes, more than the limit of ${maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  if (response.body) {
    for await (const chunk of response.body) {
      length += chunk.byteLength;
      if (length > maxBytes) {
        await response.body.cancel().catch(() => undefined);
        throw new Error(`the answer is longer than the limit of ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  }
  return { status: response.status, body: Buffer.concat(chunks, length) };
};

const describe = (error: unknown): string => {
  const { name, message, cause } = error as Error & { cause?: Error };
  if (name === 'TimeoutError') return 'timed out';
  return cause?.message ? `${message}: ${cause.message}` : message;
};

/** The BLOB text from `url`: HTTP 200 with a non-empty body, else METADATA_DOWNLOAD_FAILED naming the URL and why (in the detail). */
export async function downloadBlob(url: string, fetcher: MetadataFetcher, limits: FetchLimits): Promise<string> {
  let fetched: FetchedBytes;
  try {
    fetched = await fetcher(url, limits);
  } catch (error) {
    throw downloadFailed(url, describe(error), error);
  }
  if (fetched.status !== 200) throw downloadFailed(url, `HTTP ${fetched.status}`);
  const text = Buffer.from(fetched.body).toString('utf8').trim();
  if (!text) throw downloadFailed(url, 'empty answer');
  return text;
}

const downloadFailed = (url: string, why: string, cause?: unknown) =>
  internalError('METADATA_DOWNLOAD_FAILED', 'The metadata BLOB could not be downloaded.', {
    status: 502,
    detail: `${url}: ${why}`,
    ...(cause === undefined ? {} : { cause }),
  });

/** The BLOB text of an offline file, or METADATA_FILE_UNREADABLE. */
export function readBlobFile(file: string, maxBytes: number): string {
  try {
    const size = statSync(file).size;
    if (size > maxBytes) throw new Error(`${size} bytes, more than the limit of ${maxBytes}`);
    const text = readFileSync(file, 'utf8').trim();
    if (!text) throw new Error('empty file');
    return text;
  } catch (error) {
    throw internalError('METADATA_FILE_UNREADABLE', 'The offline metadata BLOB file could not be read.', {
      detail: `${file}: ${(error as Error).message}`,
      cause: error,
    });
  }
}

/** A CRL fetched from `url` (HTTP 200, non-empty), or undefined with the reason passed to `onFailure`; only http(s) URLs are fetched. */
export async function fetchCrl(
  url: string,
  fetcher: MetadataFetcher,
  limits: FetchLimits,
  onFailure: (url: string, why: string) => void,
): Promise<Uint8Array | undefined> {
  if (!/^https?:\/\//i.test(url)) {
    onFailure(url, 'not an http(s) URL');
    return undefined;
  }
  try {
    const fetched = await fetcher(url, limits);
    if (fetched.status === 200 && fetched.body.byteLength > 0) return fetched.body;
    onFailure(url, fetched.status === 200 ? 'empty answer' : `HTTP ${fetched.status}`);
  } catch (error) {
    onFailure(url, describe(error));
  }
  return undefined;
}
