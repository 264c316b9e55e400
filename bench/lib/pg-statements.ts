import pg from 'pg';
import { timeSqliteStatements, type StatementTimes } from './sqlite-statements.js';

// Counts every node-postgres query run in this process, by statement text, with the time from sending it to
// its answer (round trip included: on PostgreSQL that wait is what many small statements cost). For profiling
// scripts that run the server in-process.

type Query = (this: unknown, ...args: unknown[]) => unknown;

/** Wraps pg.Client#query once; counts while `counting` is true. */
export function timePostgresStatements(): StatementTimes {
  const times: StatementTimes = { spent: new Map(), runs: new Map(), counting: false };
  const proto = pg.Client.prototype as unknown as Record<string, Query>;
  const original = proto.query as Query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : typeof first === 'object' && first !== null && 'text' in first ? String((first as { text: unknown }).text) : '?';
    const counting = times.counting;
    const t = performance.now();
    const note = () => {
      if (!counting) return;
      times.spent.set(text, (times.spent.get(text) ?? 0) + performance.now() - t);
      times.runs.set(text, (times.runs.get(text) ?? 0) + 1);
    };
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
  return times;
}

/** The statement timer of `engine` (each wraps its driver once). */
export function timeStatements(engine: 'sqlite' | 'postgres'): StatementTimes {
  return engine === 'postgres' ? timePostgresStatements() : timeSqliteStatements();
}
