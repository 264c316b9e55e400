import { Router, type Layer, type MatchResult } from '@koa/router';

// @koa/router matches a request by testing every route's regular expression in turn (and calling `debug` for
// each): the client API has ~235 routes, so every request paid ~15-20 µs before its handler ran, a few percent
// of a sent message. This router files its routes by their first four path segments when all four are plain
// text (`/_matrix/client/v3/rooms`, `/_matrix/federation/v1/send`) and tests only the routes filed under the
// request's own first four segments, plus those that could match any path (a parameter or a pattern in the
// first four segments, fewer than four segments, middleware). A route filed under a key can only match a path
// that begins with those four segments, so the result, and the order of matched layers, is what the full scan
// gives.

const SEGMENTS = 4;
/** A path segment that path-to-regexp reads as plain text: no parameter, wildcard, group or escape. */
const PLAIN = /^[A-Za-z0-9_.~-]+$/;

/** The lowercased first four segments of `path`, or null when it has fewer (routers match case-insensitively). */
function keyOf(path: string): string | null {
  let end = 0;
  for (let i = 0; i < SEGMENTS; i++) {
    end = path.indexOf('/', end + 1);
    if (end < 0) {
      if (i === SEGMENTS - 1 && path.length > 1) return path.slice(1).toLowerCase();
      return null;
    }
  }
  return path.slice(1, end).toLowerCase();
}

/** The key a route is filed under, or null when it may match paths of any key. */
function routeKey(layer: Layer): string | null {
  if (typeof layer.path !== 'string' || layer.methods.length === 0 || !layer.path.startsWith('/')) return null;
  const segments = layer.path.split('/').slice(1, SEGMENTS + 1);
  if (segments.length < SEGMENTS || !segments.every((s) => PLAIN.test(s))) return null;
  return segments.join('/').toLowerCase();
}

interface RouteIndex {
  /** The stack's length it was built from: routes registered later rebuild it. */
  size: number;
  /** Per key: the layers filed under it and the unfiled ones, in the stack's order. */
  byKey: Map<string, Layer[]>;
  unfiled: Layer[];
}

function buildIndex(stack: readonly Layer[]): RouteIndex {
  const byKey = new Map<string, Layer[]>();
  const unfiled: Layer[] = [];
  for (const layer of stack) {
    const key = routeKey(layer);
    if (key === null) {
      unfiled.push(layer);
      for (const layers of byKey.values()) layers.push(layer);
    } else {
      let layers = byKey.get(key);
      if (layers === undefined) byKey.set(key, (layers = [...unfiled]));
      layers.push(layer);
    }
  }
  return { size: stack.length, byKey, unfiled };
}

export class IndexedRouter extends Router {
  private index: RouteIndex | null = null;

  override match(path: string, method: string): MatchResult {
    let index = this.index;
    if (index === null || index.size !== this.stack.length) this.index = index = buildIndex(this.stack);
    const key = keyOf(path);
    const candidates = (key === null ? undefined : index.byKey.get(key)) ?? index.unfiled;
    // The same result the full scan builds (router.match), over the candidates.
    const result: MatchResult = { path: [], pathAndMethod: [], route: false };
    const upper = method.toUpperCase();
    for (const layer of candidates) {
      if (!layer.match(path)) continue;
      result.path.push(layer);
      if (layer.methods.length === 0 || layer.methods.includes(upper)) {
        result.pathAndMethod.push(layer);
        if (layer.methods.length > 0) result.route = true;
      }
    }
    return result;
  }
}
