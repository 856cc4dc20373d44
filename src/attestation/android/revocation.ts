import type { Clock } from '../../clock.js';
import type { ParsedCertificate } from '../../crypto/x509/certificate.js';
import { internalError, trustError } from '../../errors.js';

export interface StatusEntry {
  status: 'REVOKED' | 'SUSPENDED';
  reason?: string;
  expires?: string;
  comment?: string;
}

/**
 * Google's attestation status list, indexed by serial as lowercase hex without leading zeros.
 * Keys made only of decimal digits are also indexed as decimal numbers converted to hex: the
 * published format is hex, but lists in the wild (including Google's own sample) carry decimal
 * serials, and over-matching a revocation is the safe direction.
 */
export class StatusList {
  private readonly entries = new Map<string, StatusEntry>();

  constructor(raw: unknown, source: string) {
    const entries = (raw as { entries?: unknown })?.entries;
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
      throw new TypeError(`${source}: not an attestation status list ({"entries":{…}})`);
    }
    for (const [key, value] of Object.entries(entries as Record<string, unknown>)) {
      const entry = value as StatusEntry;
      if (entry?.status !== 'REVOKED' && entry?.status !== 'SUSPENDED') continue;
      const serial = key.trim().toLowerCase();
      if (/^[0-9a-f]+$/.test(serial)) this.entries.set(serial.replace(/^0+(?=.)/, ''), entry);
      if (/^[0-9]+$/.test(serial)) this.entries.set(BigInt(serial).toString(16), entry);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(serial: string): StatusEntry | undefined {
    return this.entries.get(serial);
  }

  /** TRUST CERTIFICATE_REVOKED / CERTIFICATE_SUSPENDED naming the first listed certificate of the chain. */
  assertNoneListed(chain: readonly ParsedCertificate[]): void {
    chain.forEach((certificate, index) => {
      const entry = this.lookup(certificate.serial);
      if (!entry) return;
      const position = index === 0 ? 'leaf' : index === chain.length - 1 ? 'root' : `intermediate ${index}`;
      throw trustError(
        `CERTIFICATE_${entry.status}`,
        `The ${position} certificate (serial ${certificate.serial}) is ${entry.status.toLowerCase()}${entry.reason ? ` (${entry.reason})` : ''}.`,
        { detail: `${certificate.subject}; status list entry ${JSON.stringify(entry)}` },
      );
    });
  }
}

export interface FetchedDocument {
  status: number;
  body: string;
  cacheControl: string | null;
}

/** Outbound fetches go through this so tests and offline deployments need no network. */
export type Fetcher = (url: string, timeoutMs: number) => Promise<FetchedDocument>;

export const httpFetcher: Fetcher = async (url, timeoutMs) => {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json' },
  });
  return { status: response.status, body: await response.text(), cacheControl: response.headers.get('cache-control') };
};

export interface StatusListSourceOptions {
  url: string;
  fetcher: Fetcher;
  clock: Clock;
  fallbackTtlMs: number;
  timeoutMs: number;
  onRefreshError?: (error: unknown) => void;
}

const maxAge = (cacheControl: string | null): number | undefined => {
  const match = /(?:^|,)\s*max-age\s*=\s*(\d+)/i.exec(cacheControl ?? '');
  return match ? Number(match[1]) * 1000 : undefined;
};

/** How fresh the status list is, for operators (the console's health section). */
export interface StatusListState {
  /** The URL or file it comes from. */
  source: string;
  /** Revoked and suspended serials in the list held; absent before the first fetch. */
  entries?: number;
  /** When the list held was fetched (a file: when it was read). */
  fetchedAt?: number;
  /** Until when it is used without fetching again. */
  freshUntil?: number;
  /** The last refresh's failure, until a refresh succeeds. */
  lastError?: string;
}

export interface StatusListProvider {
  current(): Promise<StatusList>;
  state(): StatusListState;
}

/**
 * The status list fetched from its URL and cached for the response's Cache-Control max-age
 * (else the fallback TTL). Concurrent callers share one refresh. When a refresh fails the last
 * good list is kept (and the failure reported); with no list at all, verification fails closed.
 */
export class FetchedStatusList implements StatusListProvider {
  private list: StatusList | undefined;
  private freshUntil = 0;
  private fetchedAt: number | undefined;
  private lastError: string | undefined;
  private refreshing: Promise<StatusList> | undefined;

  constructor(private readonly options: StatusListSourceOptions) {}

  async current(): Promise<StatusList> {
    if (this.list && this.options.clock.now() < this.freshUntil) return this.list;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** The list is fetched on the first verification that needs it, then whenever it is stale. */
  state(): StatusListState {
    return {
      source: this.options.url,
      ...(this.list ? { entries: this.list.size, fetchedAt: this.fetchedAt!, freshUntil: this.freshUntil } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private async refresh(): Promise<StatusList> {
    const { url, fetcher, clock, fallbackTtlMs, timeoutMs } = this.options;
    try {
      const response = await fetcher(url, timeoutMs);
      if (response.status !== 200) throw new Error(`status list fetch answered HTTP ${response.status}`);
      const list = new StatusList(JSON.parse(response.body), url);
      this.list = list;
      this.fetchedAt = clock.now();
      this.freshUntil = this.fetchedAt + (maxAge(response.cacheControl) ?? fallbackTtlMs);
      this.lastError = undefined;
      return list;
    } catch (error) {
      this.lastError = (error as Error).message;
      this.options.onRefreshError?.(error);
      if (this.list) {
        // Keep serving the last good list; try again after a short pause rather than on every request.
        this.freshUntil = clock.now() + Math.min(fallbackTtlMs, 60_000);
        return this.list;
      }
      throw internalError(
        'REVOCATION_LIST_UNAVAILABLE',
        'The revocation status of the attestation could not be checked; try again later.',
        {
          status: 503,
          detail: `${url}: ${(error as Error).message}`,
          cause: error,
        },
      );
    }
  }
}
