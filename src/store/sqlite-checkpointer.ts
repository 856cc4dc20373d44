import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Pages the writing connection lets the WAL grow to before it checkpoints itself (backstop). */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** How often the worker checkpoints: often enough that the WAL stays far below the backstop. */
const CHECKPOINT_INTERVAL_MS = 200;

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage(String(error && error.message || error)); }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

/**
 * Checkpoints the WAL from a worker thread, so the copying and fsync a checkpoint needs happen
 * off the event loop instead of inside whichever request's commit crossed the threshold. The
 * writing connection keeps a high auto-checkpoint threshold as a backstop.
 */
export function startCheckpointer(
  file: string,
  options: { onError?: (message: string) => void } = {},
): () => Promise<void> {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      file,
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: CHECKPOINT_INTERVAL_MS,
    },
  });
  worker.unref();
  worker.on('message', (message: string) => options.onError?.(message));
  worker.on('error', (error) => options.onError?.(error.message));
  let exited: Promise<unknown> | undefined;
  return async () => {
    if (!exited) {
      exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.ref(); // keep the process alive until the worker has closed its connection
      worker.postMessage('stop');
    }
    await exited;
  };
}
