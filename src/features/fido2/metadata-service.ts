import { blobTrustedAt, blobTrustedUntil, verifyMetadataBlob } from '../../attestation/webauthn/metadata/blob.js';
import { MetadataIndex } from '../../attestation/webauthn/metadata/index.js';
import type { MetadataEntry, MetadataLookup } from '../../attestation/webauthn/types.js';
import type { Clock } from '../../clock.js';
import type { TrustAnchors } from '../../crypto/x509/chain.js';
import { contentError, internalError, isKeywardError, type KeywardError } from '../../errors.js';
import type { MetadataBlobStore, StoredMetadataBlob } from '../../store/webauthn-store.js';
import { downloadBlob, readBlobFile, type MetadataFetcher } from './metadata-fetch.js';
import type { CrlSourceFactory } from './metadata-crls.js';
import type { LocalMetadata } from './metadata-folder.js';

/**
 * - `disabled`: fido2.mds.enabled is off; only the local folder is used.
 * - `loading`: no BLOB is held yet and the start-up attempts are still running.
 * - `current`: the BLOB held is before its nextUpdate.
 * - `stale`: past nextUpdate but within graceDays: still trusted while a newer one is sought.
 * - `expired`: past nextUpdate + graceDays: no longer trusted, only the local folder is used.
 * - `failed`: no BLOB is held and the last attempt to obtain one failed (attempts go on every retryIntervalSeconds).
 * - `missing`: no BLOB is held and none was sought (no servers and no blobFile, or nothing attempted yet).
 */
export type MetadataStatus = 'disabled' | 'loading' | 'current' | 'stale' | 'expired' | 'failed' | 'missing';

/** What happened to one attempt to obtain a newer BLOB. */
export type RefreshOutcome =
  /** A BLOB was verified and stored; it is in use. */
  | 'stored'
  /** The database held a newer BLOB (stored by another instance); it is in use. */
  | 'adopted'
  /** A BLOB was verified, but another instance stored one at least as new meanwhile; that one is in use. */
  | 'superseded'
  /** The BLOB held is current, or the servers offer none newer. */
  | 'unchanged'
  /** No server (or the file) gave a BLOB that verifies. */
  | 'failed'
  /** Metadata is disabled. */
  | 'disabled';

export interface MetadataError {
  at: number;
  code: string;
  category: string;
  /** Client-safe message; the detail goes only to the log. */
  message: string;
}

export interface MetadataState {
  status: MetadataStatus;
  /** The BLOB held (trusted unless `expired`). */
  no?: number;
  nextUpdate?: string;
  /** Where it came from: a server URL or a file. */
  source?: string;
  verifiedAt?: number;
  /** Entries of the BLOB held. */
  entries: number;
  /** Entries from the local metadata folder. */
  localEntries: number;
  /** The last attempt to obtain a newer BLOB: when and how it ended. */
  lastAttempt?: { at: number; outcome: RefreshOutcome };
  /** The last failure, kept until an attempt succeeds. */
  lastError?: MetadataError;
  /** When the next background attempt is due (epoch ms), if one is scheduled. */
  nextAttemptAt?: number;
}

/** One place a BLOB may be downloaded from, with the roots its signer must chain to. */
export interface MetadataServer {
  url: string;
  anchors: TrustAnchors;
}

/** The subset of a pino logger the service writes to (one line per attempt outcome, with `code`). */
export interface MetadataLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface MetadataServiceOptions {
  clock: Clock;
  store: MetadataBlobStore;
  /** Off: no BLOB is downloaded, read or used; only `local`. */
  enabled: boolean;
  servers: readonly MetadataServer[];
  /**
   * Roots a BLOB read from the database is verified against again before it is used (any one
   * suffices): whoever can write the database must not be able to plant metadata.
   */
  storedBlobAnchors: readonly TrustAnchors[];
  /** Offline: the BLOB is read from this file (verified against `anchors`) instead of downloaded. */
  blobFile?: { path: string; anchors: TrustAnchors };
  /** The CRLs for verifying a BLOB (fetched or from files). */
  crls: CrlSourceFactory;
  crlCheck: 'ifAvailable' | 'required' | 'off';
  graceDays: number;
  /** Attempts at start when the database holds no current BLOB, `startupRetryDelayMs` apart. */
  startupRetries: number;
  startupRetryDelayMs: number;
  /** Pause after failed attempts before the next one. */
  retryIntervalMs: number;
  /** How often the database is checked for a newer BLOB; 0: never in between. */
  storePollMs: number;
  fetcher: MetadataFetcher;
  fetchTimeoutMs: number;
  maxBlobBytes: number;
  /** Loads the local metadata folder (called once, at load). */
  local: () => LocalMetadata;
  log: MetadataLog;
  /** Spread of the refresh after nextUpdate, so instances do not all download at the same moment. Default up to 10 minutes. */
  jitterMs?: () => number;
}

/** setTimeout's longest delay; a refresh further away is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface HeldBlob {
  no: number;
  nextUpdate: string;
  source: string;
  verifiedAt: number;
  entries: MetadataEntry[];
}

/** A newer BLOB is sought from the start (UTC) of the held one's nextUpdate day. */
const refreshDue = (nextUpdate: string) => Date.parse(`${nextUpdate}T00:00:00Z`);

/**
 * Keeps the FIDO metadata Keyward trusts: the newest verified MDS3 BLOB from the shared database
 * (downloading and verifying a newer one at nextUpdate, at start when none is current, and on
 * demand) together with the local metadata folder. Nothing here blocks: lookups use what is held,
 * downloads run in the background and a failed one keeps the last good BLOB until it is past
 * nextUpdate + graceDays. Instances share the BLOB through the database: a save that loses to
 * another instance's newer BLOB takes that one instead.
 */
export class MetadataService {
  private local: MetadataEntry[] = [];
  private localIndex: MetadataIndex = MetadataIndex.from([], []);
  private held: HeldBlob | undefined;
  /** When the held BLOB stops being trusted (nextUpdate + graceDays), epoch ms. */
  private trustedUntil = Number.NEGATIVE_INFINITY;
  private index: MetadataIndex = this.localIndex;
  private starting = false;
  private lastAttempt: MetadataState['lastAttempt'];
  private lastError: MetadataError | undefined;
  private nextAttemptAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private inFlight: Promise<RefreshOutcome> | undefined;
  /** Set by start(): attempts re-arm the next one. */
  private background = false;
  private readonly stopping = new AbortController();

  constructor(private readonly options: MetadataServiceOptions) {}

  /** Reads the local folder and the stored BLOB (its chain and signature verified again). Downloads nothing. */
  async load(): Promise<MetadataState> {
    const { entries, skipped } = this.options.local();
    for (const file of skipped)
      this.options.log.warn(
        { code: file.code, file: file.file, reason: file.message },
        'local metadata statement skipped',
      );
    this.local = entries;
    this.localIndex = MetadataIndex.from([], entries);
    this.index = this.localIndex;
    if (entries.length > 0 || skipped.length > 0)
      this.options.log.info(
        { localEntries: entries.length, skipped: skipped.length },
        'local metadata statements loaded',
      );
    if (this.options.enabled) {
      try {
        const stored = await this.options.store.latest();
        if (stored) await this.adopt(stored, 'database');
      } catch (error) {
        this.options.log.error({ err: error }, 'reading the stored metadata BLOB failed');
      }
    }
    return this.state();
  }

  /** load(), then obtains a BLOB in the background when none is current and keeps it current. Never waits for a download. */
  async start(): Promise<MetadataState> {
    await this.load();
    if (!this.options.enabled) return this.state();
    this.background = true;
    if (this.options.storePollMs > 0) {
      this.poller = setInterval(() => void this.pollStore(), this.options.storePollMs);
      this.poller.unref();
    }
    if (this.hasSource() && !(this.held && this.options.clock.now() < refreshDue(this.held.nextUpdate)))
      void this.startupAttempts();
    else this.scheduleRefresh();
    return this.state();
  }

  /** Stops the timers and aborts a download in progress; resolves once nothing runs any more. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    clearInterval(this.poller);
    this.nextAttemptAt = undefined;
    await this.inFlight?.catch(() => undefined);
  }

  /** The metadata to verify against: the held BLOB's entries while trusted, and the local folder (which overrides them); undefined when there is neither. */
  lookup(): MetadataLookup | undefined {
    if (this.options.clock.now() < this.trustedUntil) return this.index;
    return this.local.length > 0 ? this.localIndex : undefined;
  }

  state(): MetadataState {
    const held = this.held;
    const now = this.options.clock.now();
    let status: MetadataStatus;
    if (!this.options.enabled) status = 'disabled';
    else if (held) status = blobTrustedAt(held, now, 0) ? 'current' : now < this.trustedUntil ? 'stale' : 'expired';
    else if (this.starting) status = 'loading';
    else status = this.hasSource() && this.lastAttempt?.outcome === 'failed' ? 'failed' : 'missing';
    return {
      status,
      ...(held ? { no: held.no, nextUpdate: held.nextUpdate, source: held.source, verifiedAt: held.verifiedAt } : {}),
      entries: held?.entries.length ?? 0,
      localEntries: this.local.length,
      ...(this.lastAttempt ? { lastAttempt: this.lastAttempt } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.nextAttemptAt !== undefined ? { nextAttemptAt: this.nextAttemptAt } : {}),
    };
  }

  /**
   * Takes a newer BLOB from the database if another instance stored one, then downloads (or reads
   * blobFile), verifies and stores a BLOB newer than the one held. Concurrent calls share one attempt.
   */
  refresh(): Promise<RefreshOutcome> {
    return this.attempt(true);
  }

  private hasSource(): boolean {
    return this.options.servers.length > 0 || this.options.blobFile !== undefined;
  }

  private attempt(onDemand: boolean): Promise<RefreshOutcome> {
    this.inFlight ??= this.obtain(onDemand).finally(() => {
      this.inFlight = undefined;
      if (this.background && !this.starting) this.scheduleRefresh();
    });
    return this.inFlight;
  }

  private async obtain(onDemand: boolean): Promise<RefreshOutcome> {
    const { log, clock } = this.options;
    if (!this.options.enabled) return 'disabled';
    const at = clock.now();
    let outcome: RefreshOutcome;
    try {
      outcome = await this.obtainNewer(onDemand, at);
    } catch (error) {
      outcome = 'failed';
      this.fail(at, error);
      if (!this.stopping.signal.aborted)
        log.warn(this.failureFields(error, { status: this.state().status }), 'obtaining the metadata BLOB failed');
    }
    this.lastAttempt = { at, outcome };
    if (outcome !== 'failed' && outcome !== 'unchanged') this.lastError = undefined;
    return outcome;
  }

  private async obtainNewer(onDemand: boolean, at: number): Promise<RefreshOutcome> {
    const { log, store } = this.options;
    const adopted = await this.adoptNewerStored();
    // In the background, a BLOB not yet due for renewal (perhaps just stored by another instance) is left alone.
    if (!onDemand && this.held && at < refreshDue(this.held.nextUpdate)) return adopted ? 'adopted' : 'unchanged';
    if (!this.hasSource()) {
      if (adopted) return 'adopted';
      throw internalError(
        'METADATA_NO_SOURCE',
        'No metadata server or BLOB file is configured; only a BLOB stored in the database can be used.',
      );
    }
    let lastFailure: unknown;
    for (const { name, read, anchors } of this.sources()) {
      if (this.stopping.signal.aborted) break;
      let verified: Awaited<ReturnType<typeof verifyMetadataBlob>>;
      try {
        const jwt = await read();
        verified = await verifyMetadataBlob(jwt, {
          anchors,
          at,
          crls: this.options.crls(this.stopping.signal),
          maxLength: this.options.maxBlobBytes,
          crlCheck: this.options.crlCheck,
          graceDays: this.options.graceDays,
          ...(this.held ? { previousNo: this.held.no } : {}),
        });
        const record: StoredMetadataBlob = {
          no: verified.no,
          source: name,
          nextUpdate: verified.nextUpdate,
          jwt,
          entries: verified.entries.length,
          verifiedAt: at,
          storedAt: this.options.clock.now(),
        };
        if (await store.save(record)) {
          this.hold({ ...record, entries: verified.entries });
          log.info(
            {
              outcome: 'stored',
              source: name,
              no: verified.no,
              nextUpdate: verified.nextUpdate,
              entries: verified.entries.length,
              signer: verified.signer,
              anchor: verified.anchor,
              ...(verified.warnings.length > 0 ? { warnings: verified.warnings } : {}),
            },
            'metadata BLOB verified and stored',
          );
          return 'stored';
        }
        await this.adoptNewerStored();
        log.info(
          { outcome: 'superseded', source: name, no: verified.no, held: this.held?.no },
          'metadata BLOB verified, but another instance stored one at least as new; using that one',
        );
        return 'superseded';
      } catch (error) {
        if (this.held && isNotNewer(error)) {
          log.info(
            this.failureFields(error, { outcome: 'unchanged', source: name }),
            'the metadata server offers no newer BLOB',
          );
          return adopted ? 'adopted' : 'unchanged';
        }
        lastFailure = error;
        if (this.stopping.signal.aborted) break;
        log.warn(
          this.failureFields(error, { outcome: 'failed', source: name }),
          'metadata BLOB refused or unavailable',
        );
      }
    }
    if (adopted) return 'adopted';
    throw lastFailure ?? internalError('METADATA_DOWNLOAD_FAILED', 'The metadata BLOB could not be downloaded.');
  }

  /** The configured sources in order: the offline file alone, or each server. */
  private sources(): { name: string; read: () => Promise<string>; anchors: TrustAnchors }[] {
    const { blobFile, fetcher, fetchTimeoutMs: timeoutMs, maxBlobBytes: maxBytes } = this.options;
    if (blobFile)
      return [
        { name: blobFile.path, read: async () => readBlobFile(blobFile.path, maxBytes), anchors: blobFile.anchors },
      ];
    return this.options.servers.map((server) => ({
      name: server.url,
      anchors: server.anchors,
      read: () => downloadBlob(server.url, fetcher, { timeoutMs, maxBytes, signal: this.stopping.signal }),
    }));
  }

  /** Takes the database's BLOB when it is newer than the one held; true when it did. */
  private async adoptNewerStored(): Promise<boolean> {
    const newest = (await this.options.store.history())[0];
    if (!newest || (this.held && newest.no <= this.held.no)) return false;
    const stored = await this.options.store.latest();
    if (!stored || (this.held && stored.no <= this.held.no)) return false;
    return this.adopt(stored, 'another instance');
  }

  /**
   * A stored BLOB's entries, once its chain and signature verify again with the configured roots,
   * as of when it was first verified (its CRLs were checked then), and its `no` is the row's.
   */
  private async reverify(stored: StoredMetadataBlob): Promise<MetadataEntry[]> {
    let failure: unknown;
    for (const anchors of new Set(this.options.storedBlobAnchors)) {
      try {
        const blob = await verifyMetadataBlob(stored.jwt, {
          anchors,
          at: stored.verifiedAt,
          crls: async () => undefined,
          crlCheck: 'off',
          graceDays: this.options.graceDays,
          maxLength: this.options.maxBlobBytes,
        });
        if (blob.no !== stored.no) {
          throw contentError('METADATA_BLOB_MALFORMED', 'The stored metadata BLOB is not the one its row names.', {
            detail: `row no ${stored.no}, BLOB no ${blob.no}`,
          });
        }
        return blob.entries;
      } catch (error) {
        failure = error;
      }
    }
    throw failure ?? new TypeError('no roots to verify a stored metadata BLOB with');
  }

  private async adopt(stored: StoredMetadataBlob, from: string): Promise<boolean> {
    let entries: MetadataEntry[];
    try {
      entries = await this.reverify(stored);
    } catch (error) {
      this.options.log.error(
        this.failureFields(error, { no: stored.no, source: stored.source }),
        'the stored metadata BLOB does not verify; ignoring it',
      );
      return false;
    }
    this.hold({ ...stored, entries });
    this.options.log.info(
      {
        outcome: 'adopted',
        from,
        no: stored.no,
        nextUpdate: stored.nextUpdate,
        entries: entries.length,
        source: stored.source,
      },
      'metadata BLOB taken from the database',
    );
    return true;
  }

  private hold(blob: HeldBlob): void {
    this.held = {
      no: blob.no,
      nextUpdate: blob.nextUpdate,
      source: blob.source,
      verifiedAt: blob.verifiedAt,
      entries: blob.entries,
    };
    this.trustedUntil = blobTrustedUntil(blob.nextUpdate, this.options.graceDays);
    this.index = MetadataIndex.from(blob.entries, this.local);
  }

  private fail(at: number, error: unknown): void {
    const keyward = isKeywardError(error) ? error : undefined;
    this.lastError = {
      at,
      code: keyward?.code ?? 'INTERNAL_ERROR',
      category: keyward?.category ?? 'INTERNAL',
      message: keyward?.message ?? 'Obtaining the metadata BLOB failed unexpectedly.',
    };
  }

  private failureFields(error: unknown, fields: Record<string, unknown>): Record<string, unknown> {
    if (!isKeywardError(error)) return { ...fields, code: 'INTERNAL_ERROR', err: error };
    return {
      ...fields,
      code: error.code,
      category: error.category,
      reason: error.message,
      ...(error.detail ? { detail: error.detail } : {}),
    };
  }

  /** The start-up attempts, `startupRetryDelayMs` apart; then retries every retryIntervalMs, or the refresh at nextUpdate. */
  private async startupAttempts(): Promise<void> {
    const { startupRetries, startupRetryDelayMs, log } = this.options;
    this.starting = true;
    try {
      for (let attempt = 1; attempt <= startupRetries; attempt++) {
        const outcome = await this.attempt(false);
        if (this.stopping.signal.aborted) return;
        if (outcome !== 'failed') return;
        if (attempt < startupRetries) {
          log.warn(
            { attempt, of: startupRetries, retryInSeconds: startupRetryDelayMs / 1000 },
            'metadata BLOB start-up attempt failed; trying again',
          );
          if (!(await this.pause(startupRetryDelayMs))) return;
        } else
          log.error(
            { attempts: startupRetries, status: this.state().status, code: this.lastError?.code },
            'metadata BLOB start-up attempts exhausted; retrying every retryIntervalSeconds',
          );
      }
    } finally {
      this.starting = false;
      if (!this.stopping.signal.aborted) this.scheduleRefresh();
    }
  }

  /** Waits `ms` unless stopped first; false when stopped. */
  private pause(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.stopping.signal.aborted) return resolve(false);
      this.nextAttemptAt = this.options.clock.now() + ms;
      const timer = setTimeout(() => {
        this.stopping.signal.removeEventListener('abort', onAbort);
        this.nextAttemptAt = undefined;
        resolve(true);
      }, ms);
      timer.unref();
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      this.stopping.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Arms the next background attempt: at the start of the held BLOB's nextUpdate day (plus
   * jitter), or, once that has come (or none is held), retryIntervalMs after the last attempt.
   */
  private scheduleRefresh(): void {
    if (this.stopping.signal.aborted) return;
    clearTimeout(this.timer);
    const now = this.options.clock.now();
    const held = this.held;
    const due =
      held && now < refreshDue(held.nextUpdate)
        ? refreshDue(held.nextUpdate) + (this.options.jitterMs ?? defaultJitter)()
        : now + this.options.retryIntervalMs;
    this.nextAttemptAt = due;
    // Delays beyond setTimeout's limit are re-armed from the clock when the limit has passed.
    const arm = (wait: number) => {
      this.timer =
        wait > MAX_TIMER_MS
          ? setTimeout(() => arm(due - this.options.clock.now()), MAX_TIMER_MS)
          : setTimeout(() => void this.attempt(false), Math.max(0, wait));
      this.timer.unref();
    };
    arm(due - now);
  }

  private async pollStore(): Promise<void> {
    if (this.inFlight || this.stopping.signal.aborted) return;
    try {
      if (await this.adoptNewerStored()) this.scheduleRefresh();
    } catch (error) {
      this.options.log.warn({ err: error }, 'checking the database for a newer metadata BLOB failed');
    }
  }
}

const defaultJitter = () => Math.floor(Math.random() * 10 * 60_000);

/** The verifier refused the BLOB only because its no does not exceed the held one's. */
function isNotNewer(error: unknown): error is KeywardError {
  return isKeywardError(error) && NOT_NEWER_CODES.has(error.code);
}

const NOT_NEWER_CODES = new Set<string>(['METADATA_BLOB_NOT_NEWER']);
