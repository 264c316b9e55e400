import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { timeSqliteStatements, type StatementTimes } from './sqlite-statements.js';

// Counts every node-postgres query run in this process, by statement text, with the time from sending it to
// its answer (round trip included: on PostgreSQL that wait is what many small statements cost). For profiling
// scripts that run the server in-process.

type Query = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Tells `onSend` of every node-postgres query run in this process from now on (its text, when it was sent);
 * the function it returns, if any, is called with the time the answer came (performance.now()). Each call
 * wraps pg.Client#query once more.
 */
export function observePostgresStatements(onSend: (text: string, sentAt: number) => ((answeredAt: number) => void) | undefined): void {
  const proto = pg.Client.prototype as unknown as Record<string, Query>;
  const original = proto.query as Query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : typeof first === 'object' && first !== null && 'text' in first ? String((first as { text: unknown }).text) : '?';
    const answered = onSend(text, performance.now());
    if (answered === undefined) return original.apply(this, args);
    const note = () => answered(performance.now());
    // knex passes a callback (the query then returns nothing): time to the callback.
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = function (this: unknown, ...cbArgs: unknown[]) {
        note();
        return (callback as (...a: unknown[]) => unknown).apply(this, cbArgs);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result instanceof Promise) void result.then(note, note);
    else note();
    return result;
  };
}

/** Counts every statement by text, with its time from sending to answer, while `counting` is true when it is sent. */
export function timePostgresStatements(): StatementTimes {
  const times: StatementTimes = { spent: new Map(), runs: new Map(), counting: false };
  observePostgresStatements((text, sentAt) => {
    if (!times.counting) return undefined;
    return (answeredAt) => {
      times.spent.set(text, (times.spent.get(text) ?? 0) + answeredAt - sentAt);
      times.runs.set(text, (times.runs.get(text) ?? 0) + 1);
    };
  });
  return times;
}

/** The statement timer of `engine` (each wraps its driver once). */
export function timeStatements(engine: 'sqlite' | 'postgres'): StatementTimes {
  return engine === 'postgres' ? timePostgresStatements() : timeSqliteStatements();
}

/** A round's PostgreSQL statements in the order they ran (profile-wake.ts, profile-appservice.ts). */
export interface StatementTrace {
  /** Starts listing, forgetting an earlier round's list; returns the time (performance.now()) starts count from. */
  start(): number;
  /** Stops listing; returns one line per statement (its start and its duration, ms), then `summary`. */
  stop(summary: string): string[];
}

export function traceStatements(): StatementTrace {
  const lines: string[] = [];
  let tracing = false;
  let t0 = 0;
  observePostgresStatements((text, sentAt) =>
    tracing ? (answeredAt) => lines.push(`${(sentAt - t0).toFixed(2).padStart(7)} +${(answeredAt - sentAt).toFixed(2).padStart(5)}  ${text.slice(0, 110)}`) : undefined,
  );
  return {
    start() {
      lines.length = 0;
      tracing = true;
      t0 = performance.now();
      return t0;
    },
    stop(summary) {
      tracing = false;
      return [...lines, summary];
    },
  };
}
