// Part of `npm run build`, after tsc: bundles the compiled server (dist/src/cli/main.js and everything it imports,
// koa, knex and the other pure-JavaScript dependencies included) into one ES module, dist/src/cli/hearth.mjs, which
// `npm start` and the `hearth` binary run. Node's loader resolves, reads and links every module file on its own,
// ~550 of ours and ~300 of our dependencies' at start; one file halves the CPU to the first answer and takes
// ~10 MB off the idle RSS (bench/scenarios/cold-start.ts, bench/scenarios/memory.ts).
//
// The bundle sits beside main.js on purpose: code that finds files relative to its own module (bridge entries in
// ../../bridges, the precompiled config validator in ../config) resolves the same from either file.
// Left outside: native addons, `pg` (loaded only for PostgreSQL), ajv (required lazily, only when a schema must
// be compiled), and the drivers of databases knex supports but we do not use.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'cli');

// knex names every dialect it supports in one table of lazy require()s, so all of them would be bundled; the
// bundle's source text stays in memory (V8 compiles functions from it lazily), and the ones we never load
// were ~140 kB of it. Those are left out: requiring one throws.
const UNUSED_KNEX_DIALECTS = /^\.\/(cockroachdb|mssql|mysql|mysql2|mariadb|oracle|oracledb|pgnative|redshift)$/;
const unusedKnexDialects = {
  name: 'unused-knex-dialects',
  setup(b) {
    b.onResolve({ filter: UNUSED_KNEX_DIALECTS }, (args) =>
      /knex[\\/]lib[\\/]dialects[\\/]index\.js$/.test(args.importer) ? { path: args.path, namespace: 'unused-knex-dialect' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'unused-knex-dialect' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`knex dialect ${args.path.slice(2)} is not in the bundle`)});`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [join(cliDir, 'main.js')],
  outfile: join(cliDir, 'hearth.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Whitespace only: names stay as written, so stack traces in logs still name our functions; the linked source
  // map turns positions back into src/ lines under NODE_OPTIONS=--enable-source-maps.
  minifyWhitespace: true,
  sourcemap: 'linked',
  external: [
    'better-sqlite3',
    'sharp',
    'pg',
    'pg-native',
    'ajv',
    // knex's other dialects' drivers: never installed, never required.
    'mysql',
    'mysql2',
    'mariadb',
    'oracledb',
    'tedious',
    'sqlite3',
    'pg-query-stream',
  ],
  plugins: [unusedKnexDialects],
  // Bundled CommonJS dependencies call require(); an ES module has none, so give it one rooted at the bundle.
  banner: { js: "import { createRequire as __hearthCreateRequire } from 'node:module'; const require = __hearthCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
