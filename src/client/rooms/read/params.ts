import type { Context } from 'koa';
import { badJson, invalidParam, missingParam } from '../../../errors/index.js';
import { compileValidator, queryString, type Query } from '../../../http/validate.js';
import { ROOM_EVENT_FILTER_SCHEMA, type RoomEventFilter } from '../../../rooms/index.js';
import type { Direction } from '../../../storage/interfaces/index.js';

// Query and path parameters shared by the room read routes.

/** Both the current and the r0 prefix: matrix-js-sdk uses v3, older bots and bridges still call r0. */
export function v3Paths(path: string): string[] {
  return [`/v3${path}`, `/r0${path}`];
}

/** A path parameter @koa/router matched (already percent-decoded). */
export function pathParam(ctx: Context, name: string): string {
  const params = (ctx as Context & { params?: Record<string, string | undefined> }).params ?? {};
  const v = params[name];
  if (v === undefined) throw missingParam(`Missing path parameter ${name}`);
  return v;
}

export function optionalPathParam(ctx: Context, name: string): string | undefined {
  const params = (ctx as Context & { params?: Record<string, string | undefined> }).params ?? {};
  return params[name];
}

/** `dir` as /messages and timestamp_to_event take it; `fallback` when absent (undefined: required). */
export function queryDirection(query: Query, fallback?: Direction): Direction {
  const raw = queryString(query, 'dir');
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw missingParam('Missing required query parameter dir');
  }
  if (raw !== 'b' && raw !== 'f') throw invalidParam("Query parameter dir must be 'b' or 'f'");
  return raw;
}

/**
 * A reader of the `filter` query parameter (a RoomEventFilter as JSON). The schema is compiled here, so call
 * this while registering routes.
 */
export function roomEventFilterParser(): (query: Query) => RoomEventFilter | undefined {
  const check = compileValidator<RoomEventFilter>(ROOM_EVENT_FILTER_SCHEMA, 'filter');
  return (query) => {
    const raw = queryString(query, 'filter');
    if (raw === undefined || raw === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw badJson('Query parameter filter is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw badJson('Query parameter filter must be a JSON object');
    }
    return check(parsed);
  };
}
