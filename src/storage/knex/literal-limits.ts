import knexFactory from 'knex';
import type { Knex } from 'knex';

// SQLite writes the LIMIT and OFFSET of a statement into its text instead of binding them.
//
// SQLite's planner reads the value bound to a LIMIT or OFFSET parameter, and a statement whose plan read a
// parameter is marked expired as soon as that parameter is bound again, whatever the new value: the next run
// parses and plans it from scratch (sqlite3Reprepare under sqlite3_step, seen with perf). knex binds every
// `.limit()`, `.first()` and `.offset()`, so each of those statements was compiled again on every run, and the
// statement cache (statement-cache.ts) could not help them: a transaction-id lookup before every send took
// ~40 µs in place of a few (bench/profile-statements.ts). knex's builder has already parsed both values as
// integers, so writing them into the text is safe; each distinct value is then a statement of its own, which
// the bounded cache keeps like any other.

interface Compiler {
  single: Record<string, unknown>;
  _getValueOrParameterFromAttribute(attribute: string, rawValue?: unknown): unknown;
}

type CompilerClass = new (client: unknown, builder: unknown, formatter: unknown) => Compiler;

interface CompilingClient {
  queryCompiler(builder: unknown, formatter?: unknown): Compiler;
}

type ClientClass = new (config: Knex.Config) => CompilingClient;

const LITERAL = new Set(['limit', 'offset']);

/**
 * knex's better-sqlite3 client, compiling LIMIT and OFFSET values as literals: a class, given to knex as its
 * `client`, because a transaction's client is a new object of the same class (instance changes would not
 * reach the statements of a transaction).
 */
export function sqliteClientWithLiteralLimits(): ClientClass {
  // knex exports no dialect classes; an instance without a connection opens nothing.
  const Base = knexFactory({ client: 'better-sqlite3', useNullAsDefault: true }).client.constructor as ClientClass;
  let Literal: CompilerClass | null = null;
  return class extends Base {
    override queryCompiler(builder: unknown, formatter?: unknown): Compiler {
      if (Literal === null) {
        // Likewise the dialect's compiler class, only reachable through an instance of it.
        const Compiler = super.queryCompiler(builder, formatter).constructor as CompilerClass;
        Literal = class extends Compiler {
          override _getValueOrParameterFromAttribute(attribute: string, rawValue?: unknown): unknown {
            const value = this.single[attribute];
            if (LITERAL.has(attribute) && Number.isSafeInteger(value)) return String(value);
            return super._getValueOrParameterFromAttribute(attribute, rawValue);
          }
        };
      }
      return new Literal(this, builder, formatter);
    }
  };
}
