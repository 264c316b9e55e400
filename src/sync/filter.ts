import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { MatrixError } from '../errors/index.js';
import type { JsonObject } from '../types/json.js';

// Sync filters (client-server API "Filtering"): validation of the stored/inline JSON and matchers for the
// event, room and state filters. Unknown keys are kept (the spec lets filters grow) but every known key
// must have its documented type, as Synapse checks, so a typo'd filter fails at upload, not in /sync.

export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

export interface RoomEventFilter extends EventFilter {
  rooms?: string[];
  not_rooms?: string[];
  contains_url?: boolean;
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
  unread_thread_notifications?: boolean;
}

export interface SyncFilterJson {
  event_fields?: string[];
  event_format?: 'client' | 'federation';
  presence?: EventFilter;
  account_data?: EventFilter;
  room?: {
    rooms?: string[];
    not_rooms?: string[];
    include_leave?: boolean;
    ephemeral?: RoomEventFilter;
    state?: RoomEventFilter;
    timeline?: RoomEventFilter;
    account_data?: RoomEventFilter;
  };
}

const stringList = { type: 'array', items: { type: 'string' } };
const eventFilterProps = {
  limit: { type: 'integer', minimum: 0 },
  types: stringList,
  not_types: stringList,
  senders: stringList,
  not_senders: stringList,
};
const eventFilterSchema = { type: 'object', properties: eventFilterProps };
const roomEventFilterSchema = {
  type: 'object',
  properties: {
    ...eventFilterProps,
    rooms: stringList,
    not_rooms: stringList,
    contains_url: { type: 'boolean' },
    lazy_load_members: { type: 'boolean' },
    include_redundant_members: { type: 'boolean' },
    unread_thread_notifications: { type: 'boolean' },
  },
};
/** JSON Schema of a sync filter (spec definitions/sync_filter.yaml), shared by POST /filter and /sync. */
export const SYNC_FILTER_SCHEMA = {
  type: 'object',
  properties: {
    event_fields: stringList,
    event_format: { enum: ['client', 'federation'] },
    presence: eventFilterSchema,
    account_data: eventFilterSchema,
    room: {
      type: 'object',
      properties: {
        rooms: stringList,
        not_rooms: stringList,
        include_leave: { type: 'boolean' },
        ephemeral: roomEventFilterSchema,
        state: roomEventFilterSchema,
        timeline: roomEventFilterSchema,
        account_data: roomEventFilterSchema,
      },
    },
  },
} as const;

/** Compiles the filter schema once per service instance (no module-level state). */
export function createFilterValidator(): (value: unknown) => SyncFilterJson {
  let validate: ValidateFunction | undefined;
  return (value: unknown): SyncFilterJson => {
    if (!validate) {
      // ajv is loaded on first use, not at import: it is not needed to start the server.
      const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
      // Without checking the schema against the meta-schema at run time (a test does): that compiles the
      // meta-schema, ~0.56 MB of heap kept for the process's life.
      validate = new Ajv2020({ strict: false, allErrors: false, validateSchema: false }).compile(SYNC_FILTER_SCHEMA);
    }
    if (!validate(value)) {
      const err = validate.errors?.[0];
      const where = err?.instancePath ? err.instancePath.slice(1).replace(/\//g, '.') : '(filter)';
      throw new MatrixError('M_BAD_JSON', 400, `Invalid filter: ${where} ${err?.message ?? 'is invalid'}`);
    }
    return value as SyncFilterJson;
  };
}

// --- matching ------------------------------------------------------------------------------------------

/** `*` is the one wildcard the spec defines for types. */
function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(type);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface FilterableEvent {
  type: string;
  sender: string;
  content?: unknown;
}

export function eventMatches(filter: EventFilter | RoomEventFilter | undefined, ev: FilterableEvent): boolean {
  if (!filter) return true;
  if (filter.not_types?.some((p) => typeMatches(p, ev.type))) return false;
  if (filter.types && !filter.types.some((p) => typeMatches(p, ev.type))) return false;
  if (filter.not_senders?.includes(ev.sender)) return false;
  if (filter.senders && !filter.senders.includes(ev.sender)) return false;
  const f = filter as RoomEventFilter;
  if (f.contains_url !== undefined) {
    const c = ev.content;
    const hasUrl = typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>).url === 'string';
    if (f.contains_url !== hasUrl) return false;
  }
  return true;
}

export function roomMatches(filter: { rooms?: string[]; not_rooms?: string[] } | undefined, roomId: string): boolean {
  if (!filter) return true;
  if (filter.not_rooms?.includes(roomId)) return false;
  if (filter.rooms && !filter.rooms.includes(roomId)) return false;
  return true;
}

/** Whether an event filter lets nothing through (e.g. `types: []` or `not_types: ['*']`), so work can be skipped. */
export function filterExcludesAll(filter: EventFilter | undefined): boolean {
  if (!filter) return false;
  if (filter.types !== undefined && filter.types.length === 0) return true;
  if (filter.limit === 0) return true;
  return filter.not_types?.includes('*') ?? false;
}

/**
 * Keeps only the dotted `event_fields` of an event (appendix "dot-separated property paths": `\.` is a
 * literal dot, `\\` a backslash).
 */
export function applyEventFields<T extends object>(ev: T, fields: readonly string[] | undefined): T {
  if (!fields) return ev;
  const out: JsonObject = {};
  for (const field of fields) {
    const path = splitPath(field);
    let src: unknown = ev;
    for (const part of path) {
      src = typeof src === 'object' && src !== null && !Array.isArray(src) ? (src as Record<string, unknown>)[part] : undefined;
    }
    if (src === undefined) continue;
    let dst: JsonObject = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) dst[part] = src as JsonObject;
      else {
        const next = dst[part];
        if (typeof next !== 'object' || next === null || Array.isArray(next)) dst[part] = {};
        dst = dst[part] as JsonObject;
      }
    });
  }
  return out as unknown as T;
}

function splitPath(field: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < field.length; i++) {
    const ch = field[i];
    if (ch === '\\' && i + 1 < field.length) {
      cur += field[i + 1];
      i++;
    } else if (ch === '.') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** The default timeline limit when a filter gives none (Synapse's). */
export const DEFAULT_TIMELINE_LIMIT = 10;
