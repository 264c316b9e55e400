import type { RouteRegistrar } from '../types.js';

// Slack -> Matrix: the HTTP routes on the bridge's public server (Events API, outgoing webhooks, generic inbound
// webhooks). Owned by the Slack -> Matrix half; SlackBridge calls this once before the server listens.
export const registerSlackInboundRoutes: RouteRegistrar = () => {
  // No Slack -> Matrix routes yet.
};
