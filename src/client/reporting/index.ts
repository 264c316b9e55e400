import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import type { EventId, RoomId, UserId } from '../../types/ids.js';
import { authenticate, getRequester } from '../requester.js';
import { pathParam, v3Paths } from '../rooms/read/params.js';

// Reporting content (spec "Reporting content"): events (with the legacy `score`, removed in v1.18 but still sent
// by older clients), rooms (v1.13) and users (v1.14). Reports are stored for server admins to review.

interface EventReportBody {
  reason?: string;
  score?: number;
}

export function registerReportingRoutes(router: Router, deps: HttpDeps): void {
  const eventBody = validateBody<EventReportBody>({
    type: 'object',
    properties: { reason: { type: 'string' }, score: { type: 'integer', minimum: -100, maximum: 0 } },
  });
  router.post(v3Paths('/rooms/:roomId/report/:eventId'), authenticate(deps), eventBody, async (ctx) => {
    const body = eventBody.body(ctx);
    await deps.services.moderation.reportEvent(
      getRequester(ctx).userId,
      pathParam(ctx, 'roomId') as RoomId,
      pathParam(ctx, 'eventId') as EventId,
      body.reason ?? null,
      body.score ?? null,
    );
    ctx.body = {};
  });

  const reasonBody = validateBody<{ reason: string }>({
    type: 'object',
    properties: { reason: { type: 'string' } },
    required: ['reason'],
  });
  router.post(v3Paths('/rooms/:roomId/report'), authenticate(deps), reasonBody, async (ctx) => {
    await deps.services.moderation.reportRoom(getRequester(ctx).userId, pathParam(ctx, 'roomId') as RoomId, reasonBody.body(ctx).reason);
    ctx.body = {};
  });

  router.post(v3Paths('/users/:userId/report'), authenticate(deps), reasonBody, async (ctx) => {
    await deps.services.moderation.reportUser(getRequester(ctx).userId, pathParam(ctx, 'userId') as UserId, reasonBody.body(ctx).reason);
    ctx.body = {};
  });
}
