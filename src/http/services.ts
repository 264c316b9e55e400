import type { AuthService } from '../auth/index.js';
import type { MediaService } from '../media/index.js';
import type { RoomService } from '../rooms/index.js';
import type { SyncService } from '../sync/index.js';
import type { UserService } from '../users/index.js';

/** The services route layers call, built by the composition root (src/main.ts). */
export interface Services {
  auth: AuthService;
  users: UserService;
  rooms: RoomService;
  sync: SyncService;
  media: MediaService;
}
