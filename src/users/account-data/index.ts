// Account data and room tags (owned by the sync work; /sync reads the same store).
export { createAccountDataService } from './account-data-service.js';
export type { AccountDataService, AccountDataServiceDeps } from './account-data-service.js';
