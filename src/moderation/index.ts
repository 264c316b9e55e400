// Moderation: content reports (and, through the admin API, their review).
export { createModerationService, type ModerationService, type ModerationDeps, type ReportListQuery } from './reports.js';
export type { AdminReportView } from './admin-view.js';
export type { AccountFlag } from './account-moderation.js';
