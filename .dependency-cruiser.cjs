// The import rules of ARCHITECTURE.md ("Which way imports go"), checked by `npm run lint` in CI.
// Every rule is an error: a warning nobody reads does not keep the graph layered.
// Type-only imports count (tsPreCompilationDeps): a layer that needs another layer's types still depends on it.

const SERVICES = '(rooms|users|auth|sync|federation/outbound|federation/keys|appservice|media|push)';

// Modules that do I/O. The pure layers (types, errors, crypto, protocol) must stay testable without any of them.
const NODE_IO = '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|cluster|worker_threads|tls|dns)$';
const IO_PACKAGES = '(^|/)node_modules/(koa|@koa/router|knex|ioredis|pg|better-sqlite3)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Cycles hide the layering; reactions flow through typed events, not calls back up (ARCHITECTURE.md rule 5).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'types-import-nothing',
      severity: 'error',
      comment: 'src/types is the bottom layer: it imports nothing of ours but itself.',
      from: { path: '^src/types/' },
      to: { path: '^src/', pathNot: '^src/types/' },
    },
    {
      name: 'errors-import-only-types',
      severity: 'error',
      comment: 'src/errors may use src/types and nothing else of ours.',
      from: { path: '^src/errors/' },
      to: { path: '^src/', pathNot: '^src/(types|errors)/' },
    },
    {
      name: 'crypto-imports-only-types-errors',
      severity: 'error',
      comment: 'src/crypto sits on types and errors only.',
      from: { path: '^src/crypto/' },
      to: { path: '^src/', pathNot: '^src/(types|errors|crypto)/' },
    },
    {
      name: 'protocol-imports-only-types-errors-crypto',
      severity: 'error',
      comment: 'src/protocol is pure: it sees types, errors and crypto, never services, storage or routes.',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: '^src/(types|errors|crypto|protocol)/' },
    },
    {
      name: 'pure-layers-do-no-io',
      severity: 'error',
      comment: 'types, errors, crypto and protocol do no I/O: no node fs/net/http/child_process, no koa, knex, ioredis, pg, better-sqlite3.',
      from: { path: '^src/(types|errors|crypto|protocol)/' },
      to: { dependencyTypes: ['core'], path: NODE_IO },
    },
    {
      name: 'pure-layers-use-no-io-packages',
      severity: 'error',
      comment: 'types, errors, crypto and protocol do no I/O: no koa, @koa/router, knex, ioredis, pg, better-sqlite3.',
      from: { path: '^src/(types|errors|crypto|protocol)/' },
      to: { path: IO_PACKAGES },
    },
    {
      name: 'storage-interfaces-import-only-types',
      severity: 'error',
      comment: 'src/storage/interfaces is types only; it may describe data with src/types and nothing else (no knex, no services).',
      from: { path: '^src/storage/interfaces/' },
      to: { pathNot: '^src/(types|storage/interfaces)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'only-main-imports-storage-knex',
      severity: 'error',
      comment: 'The knex implementation is wired in one place (src/main.ts); everyone else codes against storage/interfaces.',
      from: { path: '^src/', pathNot: ['^src/main\\.ts$', '^src/storage/knex/'] },
      to: { path: '^src/storage/knex/' },
    },
    {
      name: 'services-do-not-import-http-frameworks',
      severity: 'error',
      comment: 'Services never import koa or a router; the route layers call them (ARCHITECTURE.md rule 4).',
      from: { path: `^src/${SERVICES}/` },
      to: { path: '(^|/)node_modules/(koa|@koa/router)/' },
    },
    {
      name: 'services-do-not-import-route-layers',
      severity: 'error',
      comment:
        'Services never import src/http, src/client, src/admin or src/federation/inbound; the Logger type in src/http/logger.ts is the one exception.',
      from: { path: `^src/${SERVICES}/` },
      to: {
        path: '^src/(http|client|admin|federation/inbound)/',
        pathNot: '^src/http/logger\\.ts$',
      },
    },
    {
      name: 'services-meet-through-index',
      severity: 'error',
      comment: "Services use each other only through each folder's index.ts (ARCHITECTURE.md rule 3).",
      from: { path: `^src/${SERVICES}/` },
      to: {
        path: `^src/${SERVICES}/`,
        pathNot: ['^src/$1/', `^src/${SERVICES}/index\\.ts$`],
      },
    },
    {
      name: 'bridges-do-not-import-core',
      severity: 'error',
      comment:
        "Bridges are ordinary application services and reach the core only over HTTP (ARCHITECTURE.md rule 7). A bridge's tests may start a real core through its test helpers.",
      from: { path: '^bridges/', pathNot: '^bridges/[^/]+/test/' },
      to: { path: '^src/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // A glob over bridges/ would otherwise pick up a bridge's own node_modules or build output.
    exclude: { path: ['^dist/', '^bridges/[^/]+/(node_modules|dist)/'] },
    moduleSystems: ['es6', 'cjs'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
