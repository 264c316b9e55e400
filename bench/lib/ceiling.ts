import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import ts from 'typescript';
import { listenBare } from './bare-koa.js';
import { processRss, processRssAnon, ROOT, spawnUntil, stopChild } from './server.js';

/**
 * The node arguments that run the bare koa ceiling as its own process. Plain node on bare-koa.ts transpiled
 * to JavaScript, as the homeserver runs from dist/: through tsx the ceiling also carried the TypeScript loader
 * (~25 MB of RSS and ~250 ms of startup CPU), which flattered every ratio against it.
 */
export function bareKoaProcessArgs(): string[] {
  const dir = join(ROOT, '.test-tmp', 'bench');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'bare-koa.mjs');
  const source = readFileSync(join(ROOT, 'bench', 'lib', 'bare-koa.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(out, js);
  return [out];
}

// Starts the bare koa ceiling the same way the homeserver runs in this benchmark: in this process, or as a child.
export interface Ceiling {
  baseUrl: string;
  rss(): number;
  /** The anonymous part of that RSS (see BenchServer.rssAnon). */
  rssAnon(): number;
  close(): Promise<void>;
}

export async function startCeiling(child: boolean): Promise<Ceiling> {
  if (child) {
    const { child: proc, match } = await spawnUntil(bareKoaProcessArgs(), /listening on (http:\/\/\S+)/);
    const pid = proc.pid ?? -1;
    return { baseUrl: match, rss: () => processRss(pid), rssAnon: () => processRssAnon(pid), close: () => stopChild(proc) };
  }
  const { baseUrl, server } = await listenBare();
  return { baseUrl, rss: () => process.memoryUsage().rss, rssAnon: () => processRssAnon('self'), close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
