import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

// Checkpoints a SQLite database's write-ahead log from a worker thread. SQLite's automatic checkpoint runs
// inside whichever COMMIT pushes the WAL past its threshold, on the event loop, and ends in an fsync of the
// database file: measured here it was about two thirds of a send's COMMIT time in a 50-member room (4.8 ms of
// which 3.3 ms were checkpoints). On its own connection in a worker, the checkpoint and its fsync overlap
// with the server's work instead. A PASSIVE checkpoint never blocks the writer; the main connection keeps a
// far higher automatic threshold only as a backstop, should the worker fall behind.
//
// A worker thread costs ~8 MB of memory, so it runs only while there is writing to keep up with: it starts
// once the WAL file was written in two looks in a row (a second apart), and ends itself after ten seconds
// in which no new page was written. (Trimming the WAL after each checkpoint, to watch its size instead, cost
// a COMMIT ~1 ms in file truncation and regrowth.)

/** How often the worker checkpoints (a PASSIVE checkpoint of an empty WAL costs a few microseconds). */
const INTERVAL_MS = 200;
/** The worker ends after this many checkpoints in a row (10 s) that found no new page. */
const IDLE_TICKS = 50;
/** How often the server looks at the WAL file while no worker runs. */
const WATCH_MS = 1_000;

// Plain CommonJS run with `eval`: the server may run as a one-file bundle, with no worker file beside it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
let lastLog = -1;
let idle = 0;
const stop = () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
};
const timer = setInterval(() => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    idle = result.log === lastLog ? idle + 1 : 0;
    lastLog = result.log;
    if (idle >= workerData.idleTicks) stop();
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', stop);
`;

export interface WalCheckpointer {
  /** Stops the worker (after the checkpoint it may be running) and resolves once it has exited. */
  stop(): Promise<void>;
}

export function startWalCheckpointer(filename: string, logger: Logger): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  let worker: { exited: Promise<void>; stop(): void } | null = null;
  let failures = 0;
  const start = () => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, filename, intervalMs: INTERVAL_MS, idleTicks: IDLE_TICKS } });
    // The server's own handles keep the process alive; this one must not hold it open.
    w.unref();
    w.on('message', (m: { error?: string }) => {
      // Logged once: a checkpoint that keeps failing falls back to SQLite's own, at the backstop threshold.
      if (m.error !== undefined && failures++ === 0) logger.warn({ error: m.error }, 'WAL checkpoint in the worker failed');
    });
    w.on('error', (err) => logger.warn({ err }, 'WAL checkpoint worker stopped'));
    const exited = new Promise<void>((resolve) =>
      w.once('exit', () => {
        if (worker?.exited === exited) worker = null;
        resolve();
      }),
    );
    worker = { exited, stop: () => w.postMessage('stop') };
  };
  const walFile = `${filename}-wal`;
  let lastWrite = 0;
  let writtenTicks = 0;
  const watch = setInterval(() => {
    let mtime = 0;
    try {
      mtime = statSync(walFile).mtimeMs;
    } catch {
      // No WAL file (nothing written since the last connection closed): nothing to checkpoint.
    }
    writtenTicks = mtime !== lastWrite ? writtenTicks + 1 : 0;
    lastWrite = mtime;
    // The server's start-up writes alone do not start it.
    if (worker === null && writtenTicks >= 2) start();
  }, WATCH_MS);
  watch.unref();
  return {
    async stop() {
      clearInterval(watch);
      const running = worker;
      if (running === null) return;
      running.stop();
      await running.exited;
    },
  };
}
