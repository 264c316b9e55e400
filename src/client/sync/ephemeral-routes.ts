import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { validateBody } from '../../http/validate.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from './paths.js';

// Typing notifications, read receipts and read markers.

interface TypingBody {
  typing: boolean;
  timeout?: number;
}

interface ReadMarkersBody {
  'm.fully_read'?: string;
  'm.read'?: string;
  'm.read.private'?: string;
}

export function registerEphemeralRoutes(router: Router, deps: HttpDeps): void {
  const auth = authenticate(deps, { allowGuest: true });
  const sync = () => deps.services.sync;

  const typingBody = validateBody<TypingBody>({
    type: 'object',
    required: ['typing'],
    properties: { typing: { type: 'boolean' }, timeout: { type: 'integer', minimum: 0 } },
  });
  router.put(clientPaths('/rooms/:roomId/typing/:userId'), auth, typingBody, async (ctx) => {
    const { roomId, userId } = ctx.params as { roomId: string; userId: string };
    const body = typingBody.body(ctx);
    await sync().setTyping(getRequester(ctx), roomId, userId, body.typing, body.timeout);
    ctx.body = {};
  });

  // Older clients post receipts with no body at all.
  const receiptBody = validateBody<{ thread_id?: string }>(
    { type: 'object', properties: { thread_id: { type: 'string', minLength: 1 } } },
    { allowEmpty: true },
  );
  router.post(clientPaths('/rooms/:roomId/receipt/:receiptType/:eventId'), auth, receiptBody, async (ctx) => {
    const { roomId, receiptType, eventId } = ctx.params as { roomId: string; receiptType: string; eventId: string };
    await sync().postReceipt(getRequester(ctx), roomId, receiptType, eventId, receiptBody.body(ctx).thread_id);
    ctx.body = {};
  });

  const markersBody = validateBody<ReadMarkersBody>(
    {
      type: 'object',
      properties: {
        'm.fully_read': { type: 'string', minLength: 1 },
        'm.read': { type: 'string', minLength: 1 },
        'm.read.private': { type: 'string', minLength: 1 },
      },
    },
    { allowEmpty: true },
  );
  router.post(clientPaths('/rooms/:roomId/read_markers'), auth, markersBody, async (ctx) => {
    const { roomId } = ctx.params as { roomId: string };
    const body = markersBody.body(ctx);
    await sync().setReadMarkers(getRequester(ctx), roomId, {
      fullyRead: body['m.fully_read'],
      read: body['m.read'],
      readPrivate: body['m.read.private'],
    });
    ctx.body = {};
  });
}
