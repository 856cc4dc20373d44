import type { Clock } from '../clock.js';
import type { DecisionLogConfig } from '../config/console.js';
import type { DecisionEventStore, NewDecisionEvent } from '../store/console-store.js';
import { boundedEvent } from './bounded-event.js';

/** One decision as a caller reports it; `at` defaults to the clock's now. */
export type DecisionInput = Omit<NewDecisionEvent, 'at'> & { at?: number };

/** Where the hot paths report decisions: synchronous, never throws, never waits for the database. */
export interface DecisionRecorder {
  record(event: DecisionInput): void;
}

/** The recorder as the composition root runs it. */
export interface DecisionLogService extends DecisionRecorder {
  /** Writes what is buffered (a failed write keeps it for the next attempt); never rejects. */
  flush(): Promise<void>;
  /** Stops the timers and writes everything buffered; call before the store closes. */
  stop(): Promise<void>;
}

export interface DecisionLogMetrics {
  written(count: number): void;
  dropped(count: number): void;
}

export interface DecisionLogOptions {
  config: DecisionLogConfig;
  store: DecisionEventStore;
  clock: Clock;
  metrics?: DecisionLogMetrics;
  /** A failed write or purge (the log keeps going). */
  onError?(error: unknown, during: 'write' | 'purge'): void;
}

/** Events per INSERT: one statement stays well within both dialects' parameter limits. */
export const WRITE_BATCH = 500;
/** Rows per retention DELETE, so a purge never holds a long lock. */
export const PURGE_BATCH = 5000;
const PURGE_INTERVAL_MS = 3_600_000;
/** The first purge waits until start-up is over. */
const FIRST_PURGE_DELAY_MS = 30_000;
const DAY_MS = 86_400_000;

/** With decisionLog.enabled false: nothing is kept. */
export const disabledDecisionLog: DecisionLogService = {
  record() {},
  flush: async () => {},
  stop: async () => {},
};

/** The decision log of the configuration: a started DecisionLog, or the no-op one when disabled. */
export function createDecisionLog(options: DecisionLogOptions): DecisionLogService {
  if (!options.config.enabled) return disabledDecisionLog;
  const log = new DecisionLog(options);
  log.start();
  return log;
}

/**
 * The append-only decision log: record() only pushes into a buffer; a background writer inserts
 * the buffer in batches (every flushIntervalMs, or at once when a batch is full) and an hourly
 * purge deletes what is older than retentionDays. While the database refuses writes the events
 * wait, at most maxBuffered of them (the oldest beyond it are dropped and counted).
 */
export class DecisionLog implements DecisionLogService {
  private buffer: NewDecisionEvent[] = [];
  private writing: Promise<void> | undefined;
  private purging: Promise<number> | undefined;
  private writeSoon: NodeJS.Immediate | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly options: DecisionLogOptions) {}

  start(): void {
    const { config } = this.options;
    this.timers.push(
      setInterval(() => void this.flush(), config.flushIntervalMs).unref(),
      setTimeout(() => void this.purge(), FIRST_PURGE_DELAY_MS).unref(),
      setInterval(() => void this.purge(), PURGE_INTERVAL_MS).unref(),
    );
  }

  record(event: DecisionInput): void {
    event.at ??= this.options.clock.now();
    const buffered = this.buffer.push(event as NewDecisionEvent);
    if (buffered > this.options.config.maxBuffered) this.dropOldest();
    // A full batch is written on the next turn of the event loop, not inside the request.
    if (buffered >= WRITE_BATCH && !this.writeSoon && !this.writing && !this.stopped)
      this.writeSoon = setImmediate(() => {
        this.writeSoon = undefined;
        void this.flush();
      });
  }

  /** How many events wait to be written. */
  get buffered(): number {
    return this.buffer.length;
  }

  flush(): Promise<void> {
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.writeSoon) clearImmediate(this.writeSoon);
    await this.purging;
    await this.flush();
    // What the database would not take by now is lost: say so in the metric.
    if (this.buffer.length > 0) {
      this.options.metrics?.dropped(this.buffer.length);
      this.buffer = [];
    }
  }

  /**
   * Deletes the events older than retentionDays, PURGE_BATCH rows per statement until a
   * statement deletes fewer; returns how many. Runs hourly; also callable directly.
   */
  purge(): Promise<number> {
    this.purging ??= this.purgeAll().finally(() => {
      this.purging = undefined;
    });
    return this.purging;
  }

  private async purgeAll(): Promise<number> {
    const { store, clock, config } = this.options;
    const before = clock.now() - config.retentionDays * DAY_MS;
    let total = 0;
    try {
      for (;;) {
        const deleted = await store.purgeBefore(before, PURGE_BATCH);
        total += deleted;
        if (deleted < PURGE_BATCH || this.stopped) return total;
      }
    } catch (error) {
      this.options.onError?.(error, 'purge');
      return total;
    }
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, WRITE_BATCH);
      try {
        await this.options.store.append(batch.map(boundedEvent));
        this.options.metrics?.written(batch.length);
      } catch (error) {
        // Back at the front, in order, for the next attempt.
        this.buffer = batch.concat(this.buffer);
        if (this.buffer.length > this.options.config.maxBuffered) this.dropOldest();
        this.options.onError?.(error, 'write');
        return;
      }
    }
  }

  private dropOldest(): void {
    const excess = this.buffer.length - this.options.config.maxBuffered;
    this.buffer.splice(0, excess);
    this.options.metrics?.dropped(excess);
  }
}
