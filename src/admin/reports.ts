import type { Router } from '@koa/router';
import { invalidParam, notFound } from '../errors/index.js';
import type { HttpDeps } from '../http/deps.js';
import { queryInt, queryString } from '../http/validate.js';
import type { RoomId, UserId } from '../types/ids.js';
import { authenticate } from '../client/requester.js';
import { requireAdmin } from './require-admin.js';

// Synapse's event reports admin API (/_synapse/admin/v1/event_reports[/{report_id}]), which synapse-admin and
// moderation scripts read, plus the same listing for room and user reports (v1.13 / v1.14 report endpoints).

const LISTS = [
  { path: '/v1/event_reports', key: 'event_reports', kind: 'event' },
  { path: '/v1/room_reports', key: 'room_reports', kind: 'room' },
  { path: '/v1/user_reports', key: 'user_reports', kind: 'user' },
] as const;

function reportId(raw: string | undefined): number {
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) {
    throw invalidParam('The report_id parameter must be a string representing a positive integer.');
  }
  return Number(raw);
}

export function registerReportAdminRoutes(router: Router, deps: HttpDeps): void {
  const guard = [authenticate(deps), requireAdmin(deps)];
  const moderation = () => deps.services.moderation;

  for (const list of LISTS) {
    router.get(list.path, ...guard, async (ctx) => {
      const offset = queryInt(ctx.query, 'from', { min: 0, default: 0 });
      const limit = queryInt(ctx.query, 'limit', { min: 0, default: 100 });
      const dir = queryString(ctx.query, 'dir') ?? 'b';
      if (dir !== 'b' && dir !== 'f') throw invalidParam("Query parameter dir must be 'b' or 'f'");
      const roomId = queryString(ctx.query, 'room_id');
      const reporter = queryString(ctx.query, 'user_id');
      const { reports, total } = await moderation().listReports({
        kind: list.kind,
        offset,
        limit,
        dir,
        ...(roomId !== undefined ? { roomId: roomId as RoomId } : {}),
        ...(reporter !== undefined ? { reporter: reporter as UserId } : {}),
      });
      const body: Record<string, unknown> = { [list.key]: reports, total };
      if (offset + reports.length < total) body.next_token = offset + reports.length;
      ctx.body = body;
    });
  }

  router.get('/v1/event_reports/:reportId', ...guard, async (ctx) => {
    const report = await moderation().getReport(reportId(ctx.params.reportId));
    if (!report) throw notFound('Event report not found');
    ctx.body = report;
  });

  router.delete('/v1/event_reports/:reportId', ...guard, async (ctx) => {
    if (!(await moderation().deleteReport(reportId(ctx.params.reportId)))) throw notFound('Event report not found');
    ctx.body = {};
  });
}
