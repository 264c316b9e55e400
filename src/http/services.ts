import type { AuthService } from '../auth/index.js';
import type { MediaService } from '../media/index.js';
import type { RoomReader, RoomService } from '../rooms/index.js';
import type { SyncService } from '../sync/index.js';
import type { AccountDataService } from '../users/account-data/index.js';
import type { UserService } from '../users/index.js';
import type { FederationService } from '../federation/outbound/index.js';
import type { FederationRoomsService } from '../federation/rooms/index.js';
import type { EduHandler } from '../federation/inbound/edus.js';
import type { InboundFederationLimits } from '../federation/inbound/inbound-limits.js';
import type { E2eService } from '../users/e2e/index.js';
import type { RelationsService, SearchService } from '../rooms/index.js';
import type { SpacesService } from '../rooms/index.js';
import type { OpenIdService, UserDirectoryService } from '../users/directory/index.js';
import type { ModerationService } from '../moderation/index.js';
import type { AppserviceService } from '../appservice/index.js';
import type { PushRulesService, PushService } from '../push/index.js';

/** The services route layers call, built by the composition root (src/main.ts). */
export interface Services {
  auth: AuthService;
  users: UserService;
  rooms: RoomService;
  roomReader: RoomReader;
  sync: SyncService;
  accountData: AccountDataService;
  media: MediaService;
  federation: FederationService;
  federationRooms: FederationRoomsService;
  /** Inbound EDUs of federation transactions; absent: EDUs are ignored. */
  federationEdus?: EduHandler;
  /** Per-origin limits on inbound federation requests (rc_federation); absent: unlimited. */
  federationLimits?: InboundFederationLimits;
  e2e: E2eService;
  relations: RelationsService;
  search: SearchService;
  spaces: SpacesService;
  userDirectory: UserDirectoryService;
  moderation: ModerationService;
  openid: OpenIdService;
  appservices: AppserviceService;
  pushRules: PushRulesService;
  push: PushService;
}
