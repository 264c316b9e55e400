import type { BridgeContext, CommandRegistry } from '../types.js';

// Slack -> Matrix: extra `!slack ...` commands (e.g. `webhook new`). SlackBridge calls this once at start.
export function registerSlackInboundCommands(_commands: CommandRegistry, _ctx: BridgeContext): void {
  // No Slack -> Matrix commands yet.
}
