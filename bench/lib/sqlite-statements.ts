import { createRequire } from 'node:module';

// Times every better-sqlite3 statement run in this process, by statement text. Statements run synchronously,
// so the wall time around a call is the statement's own. For profiling scripts that run the server in-process.

type Runner = (this: { source: string }, ...args: unknown[]) => unknown;

export interface StatementTimes {
  /** Milliseconds inside SQLite per statement text while counting. */
  spent: Map<string, number>;
  /** Runs per statement text while counting. */
  runs: Map<string, number>;
  counting: boolean;
}

/** Wraps the statement runners of better-sqlite3 once; counts while `counting` is true. */
export function timeSqliteStatements(): StatementTimes {
  const times: StatementTimes = { spent: new Map(), runs: new Map(), counting: false };
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { prepare(sql: string): object; close(): void };
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, Runner>;
  probe.close();
  for (const name of ['all', 'run', 'get', 'iterate']) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    proto[name] = function (this: { source: string }, ...args: unknown[]) {
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        if (times.counting) {
          times.spent.set(this.source, (times.spent.get(this.source) ?? 0) + performance.now() - t);
          const n = (times.runs.get(this.source) ?? 0) + 1;
          times.runs.set(this.source, n);
          // STACK_FOR=<substring>: where a statement comes from (async stacks), for its first two runs.
          const needle = process.env.STACK_FOR;
          if (n <= 2 && needle !== undefined && needle !== '' && this.source.includes(needle)) process.stderr.write(`${this.source.slice(0, 400)}\n${new Error().stack}\n`);
        }
      }
    };
  }
  return times;
}
