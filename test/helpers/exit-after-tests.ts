import { after } from 'node:test';

// Loaded before every test file (scripts/run-tests.mjs). Node's --test-force-exit was how we stopped files whose
// tests had finished but whose clients left timers behind (matrix-js-sdk's stopClient() leaves some of up to ~2
// minutes), but with concurrency it exits the child before its report has reached the parent, which then counts
// fewer tests than ran and can lose a failure's name and error (nodejs/node#64833). Instead, once a file's tests
// are done, its process gets a grace second to hand over its report and exits only if something still holds it
// open; the timer is unref'd, so a file that ends by itself ends at once.
const GRACE_MS = 1000;

if (process.env.NODE_TEST_CONTEXT === 'child-v8') {
  after(() => {
    setTimeout(() => process.exit(), GRACE_MS).unref();
  });
}
