import type { AppServiceRegistration } from 'matrix-appservice-bridge';
import { createBridgeLogger, type BridgeLogger } from '../../_shared/src/index.js';
import type { SlackBridgeConfig } from './config.js';
import { SlackBridge } from './bridge.js';

// Starting the bridge process: `start` in main.ts and the tests both come through here.

export async function startBridge(config: SlackBridgeConfig, registration: AppServiceRegistration, logger?: BridgeLogger): Promise<SlackBridge> {
  const bridge = await SlackBridge.create({ config, registration, logger: logger ?? createBridgeLogger('slack-webhooks', config.logging.level) });
  try {
    await bridge.start();
  } catch (err) {
    await bridge.stop().catch(() => undefined);
    throw err;
  }
  return bridge;
}
