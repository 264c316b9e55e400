import type { Config } from '../../config/types.js';
import type { SigningKey } from '../../crypto/index.js';
import type { Logger } from '../../http/logger.js';
import type { RemoteRoomInput } from '../../rooms/index.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { NoticeSource } from '../../types/notices.js';
import type { FederationService } from '../outbound/index.js';

// What the federation room logic needs; built in main.ts.
export interface FederationRoomsDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  signingKey: SigningKey;
  federation: FederationService;
  /** The room writer's entry for remote events (the writer stays the only one persisting room events). */
  rooms: RemoteRoomInput;
  notices: NoticeSource;
  now: () => number;
}
