import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type MatchResult } from '@koa/router';
import { routersForResources } from '../../src/http/app.js';
import { IndexedRouter } from '../../src/http/indexed-router.js';
import { createLogger } from '../../src/http/logger.js';
import { generateSigningKey } from '../../src/crypto/index.js';
import { shellOnlyServices, testConfig } from '../helpers/http.js';

// The indexed router must match exactly what @koa/router's full scan matches, in the same order.

const fullScan = (router: Router, path: string, method: string): MatchResult => Router.prototype.match.call(router, path, method);

function summary(r: MatchResult): string {
  return JSON.stringify({ path: r.path.map((l) => `${l.methods.join(',')} ${String(l.path)}`), pathAndMethod: r.pathAndMethod.length, route: r.route });
}

/** A request path for a route's path: every `:param` filled in, as a client would send it. */
function samplePath(routePath: string, fill: string): string {
  return routePath.replace(/:[A-Za-z_]+/g, fill);
}

const logger = createLogger('error', { write: () => undefined });
const routers = routersForResources(
  { config: testConfig(), logger, signingKeys: [generateSigningKey('t')], services: shellOnlyServices() } as never,
  ['client', 'federation'],
);

describe('IndexedRouter', () => {
  test('every route of the served routers matches as under the full scan, for every method and spelling', () => {
    let compared = 0;
    let matched = 0;
    for (const router of routers) {
      assert.ok(router instanceof IndexedRouter, 'the served routers are indexed');
      for (const layer of router.stack) {
        if (typeof layer.path !== 'string') continue;
        const base = samplePath(layer.path, '!room%3Aexample.org');
        const variants = [base, `${base}/`, base.toUpperCase(), `${base}/extra`, base.replace(/\/[^/]*$/, ''), samplePath(layer.path, 'x')];
        for (const path of variants) {
          for (const method of ['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS']) {
            const indexed = router.match(path, method);
            assert.equal(summary(indexed), summary(fullScan(router, path, method)), `${method} ${path}`);
            compared++;
            if (indexed.route) matched++;
          }
        }
      }
    }
    assert.ok(compared > 5000 && matched > 500, `compared ${compared}, matched ${matched}`);
  });

  test('paths outside any route, short paths and odd ones match nothing, as under the full scan', () => {
    const client = routers.find((r) => r.opts.prefix === '/_matrix/client') as Router;
    for (const path of ['/', '', '/_matrix', '/_matrix/client', '/_matrix/client/v3', '/_matrix/client/v3/nope', '//_matrix/client/v3/sync', '/_matrix/client/v3/rooms', '/_matrix/client/versions']) {
      assert.equal(summary(client.match(path, 'GET')), summary(fullScan(client, path, 'GET')), path);
    }
    assert.equal(client.match('/_matrix/client/versions', 'GET').route, true);
    assert.equal(client.match('/_matrix/client/v3/nope', 'GET').path.length, 0);
  });

  test('routes with parameters early, middleware and routes added after the first request keep their order', () => {
    const router = new IndexedRouter({ prefix: '/p' });
    router.use(async (_ctx, next) => next());
    router.get('/a/b/c', () => undefined);
    router.get('/:any/b/c', () => undefined);
    router.get('/a/b/:c', () => undefined);
    const order = router.match('/p/a/b/c', 'GET').pathAndMethod;
    assert.equal(order.length, 4);
    assert.equal(order[0]?.methods.length, 0, 'the middleware first');
    assert.deepEqual(order.slice(1).map((l) => String(l.path)), ['/p/a/b/c', '/p/:any/b/c', '/p/a/b/:c']);
    assert.equal(summary(router.match('/p/a/b/c', 'GET')), summary(fullScan(router, '/p/a/b/c', 'GET')));
    router.get('/a/b/c/d', () => undefined);
    router.post('/a/b/c', () => undefined);
    for (const path of ['/p/a/b/c', '/p/a/b/c/d', '/p/z/b/c']) {
      for (const method of ['GET', 'POST']) assert.equal(summary(router.match(path, method)), summary(fullScan(router, path, method)), `${method} ${path}`);
    }
    assert.equal(router.match('/p/a/b/c/d', 'GET').route, true);
    assert.equal(router.match('/p/a/b/c', 'POST').route, true);
  });
});
