import { createRequire } from 'node:module';
import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

// Checkpoints a SQLite database's write-ahead log from a worker thread. SQLite's automatic checkpoint runs
// inside whichever COMMIT pushes the WAL past its threshold, on the event loop, and ends in an fsync of the
// database file: measured here it was about two thirds of a send's COMMIT time in a 50-member room (4.8 ms of
// which 3.3 ms were checkpoints). On its own connection in a worker, the checkpoint and its fsync overlap
// with the server's work instead. A PASSIVE checkpoint never blocks the writer; the main connection keeps a
// far higher automatic threshold only as a backstop, should the worker fall behind.
//
// A worker thread costs ~8 MB of memory while it runs and leaves ~3 MB behind after it ends, so it runs only
// while there is heavy writing to keep up with: it starts once the WAL gained pages at 1,000 a second or more
// in two looks in a row (a quarter of a second apart), and ends itself after ten seconds in which no new page
// was written. Below that rate SQLite's own checkpoint, at the backstop threshold, runs at most every ten
// seconds or so: two people chatting write ~100 pages a second, heavy sending tens of thousands. The page
// count is read from the WAL index (the -shm file's header, https://www.sqlite.org/walformat.html): 20 bytes a
// look. (Trimming the WAL after each checkpoint, to watch its size instead, cost a COMMIT ~1 ms in file
// truncation and regrowth.)

/** How often the worker checkpoints (a PASSIVE checkpoint of an empty WAL costs a few microseconds). */
const INTERVAL_MS = 200;
/** The worker ends after this many checkpoints in a row (10 s) that found no new page. */
const IDLE_TICKS = 50;
/**
 * How often the server looks at the WAL index. Often, because until the worker runs, heavy writing passes the
 * backstop threshold several times a second, each time a checkpoint inside a COMMIT on the event loop.
 */
const WATCH_MS = 250;
/** WAL pages written per look, in two looks in a row, that start the worker: 1,000 a second. */
export const START_FRAMES_PER_LOOK = 250;
/** Where the WAL index header keeps mxFrame, the number of valid pages in the WAL (a 32-bit native-order integer). */
const MX_FRAME_OFFSET = 16;

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

const HEADER = Buffer.alloc(MX_FRAME_OFFSET + 4);
/** The header's integers are in the byte order of the machine that wrote them, this one. */
const readMxFrame = endianness() === 'LE' ? () => HEADER.readUInt32LE(MX_FRAME_OFFSET) : () => HEADER.readUInt32BE(MX_FRAME_OFFSET);

/** The WAL's valid page count from its index; 0 without one (nothing written since the last connection closed). */
export function walFrames(shmFile: string): number {
  let fd: number;
  try {
    fd = openSync(shmFile, 'r');
  } catch {
    return 0;
  }
  try {
    if (readSync(fd, HEADER, 0, HEADER.length, 0) < HEADER.length) return 0;
    return readMxFrame();
  } finally {
    closeSync(fd);
  }
}

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
  const shmFile = `${filename}-shm`;
  let lastFrames = 0;
  let busyLooks = 0;
  const watch = setInterval(() => {
    if (worker !== null) {
      busyLooks = 0;
      return;
    }
    const frames = walFrames(shmFile);
    // A checkpoint lets the next writer restart the WAL from its first page: then at least `frames` were written.
    const written = frames >= lastFrames ? frames - lastFrames : frames;
    lastFrames = frames;
    busyLooks = written >= START_FRAMES_PER_LOOK ? busyLooks + 1 : 0;
    if (busyLooks >= 2) start();
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
