import type { Server } from 'node:http';
import { join } from 'node:path';
import { listenBare } from './bare-koa.js';
import { processRss, ROOT, spawnUntil, stopChild } from './server.js';

// Starts the bare koa ceiling the same way the homeserver runs in this benchmark: in this process, or as a child.
export interface Ceiling {
  baseUrl: string;
  rss(): number;
  close(): Promise<void>;
}

export async function startCeiling(child: boolean): Promise<Ceiling> {
  if (child) {
    const { child: proc, match } = await spawnUntil(['--import', 'tsx', join(ROOT, 'bench', 'lib', 'bare-koa.ts')], /listening on (http:\/\/\S+)/);
    const pid = proc.pid ?? -1;
    return { baseUrl: match, rss: () => processRss(pid), close: () => stopChild(proc) };
  }
  const { baseUrl, server } = await listenBare();
  return { baseUrl, rss: () => process.memoryUsage().rss, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
