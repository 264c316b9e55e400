import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryString, validateBody } from '../../http/validate.js';
import { ROOM_EVENT_FILTER_SCHEMA, type RoomEventsCriteria } from '../../rooms/index.js';
import { authenticate, getRequester } from '../requester.js';

// POST /v3/search (and r0): server-side search of room events.

const SEARCH_SCHEMA = {
  type: 'object',
  required: ['search_categories'],
  properties: {
    search_categories: {
      type: 'object',
      properties: {
        room_events: {
          type: 'object',
          required: ['search_term'],
          properties: {
            search_term: { type: 'string' },
            keys: { type: 'array', items: { type: 'string', enum: ['content.body', 'content.name', 'content.topic'] } },
            filter: ROOM_EVENT_FILTER_SCHEMA,
            order_by: { type: 'string', enum: ['recent', 'rank'] },
            event_context: {
              type: 'object',
              properties: {
                before_limit: { type: 'integer' },
                after_limit: { type: 'integer' },
                include_profile: { type: 'boolean' },
              },
            },
            include_state: { type: 'boolean' },
            groupings: {
              type: 'object',
              properties: {
                group_by: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' } } } },
              },
            },
          },
        },
      },
    },
  },
} as const;

interface SearchBody {
  search_categories: { room_events?: RoomEventsCriteria };
}

export function registerSearchRoutes(router: Router, deps: HttpDeps): void {
  const body = validateBody<SearchBody>(SEARCH_SCHEMA);
  router.post(['/v3/search', '/r0/search'], authenticate(deps), body, async (ctx) => {
    ctx.body = await deps.services.search.search(getRequester(ctx), body.body(ctx).search_categories, queryString(ctx.query, 'next_batch') || undefined);
  });
}
