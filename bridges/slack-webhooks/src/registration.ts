import { AppServiceRegistration } from 'matrix-appservice-bridge';
import type { SlackBridgeConfig } from './config.js';

// The registration the homeserver loads (registrations/slack-webhooks.yaml): the bridge's exclusive namespaces
// for the configured domain, fresh tokens, and the URL where the homeserver sends transactions.

export const REGISTRATION_ID = 'slack-webhooks';
export const BOT_LOCALPART = 'slackbot';
export const GHOST_PREFIX = 'slack_';
export const DEFAULT_REGISTRATION_PATH = 'registrations/slack-webhooks.yaml';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function fillRegistration(reg: AppServiceRegistration, config: SlackBridgeConfig, url: string): AppServiceRegistration {
  const domain = escapeRegex(config.homeserver.domain);
  reg.setId(REGISTRATION_ID);
  reg.setAppServiceUrl(url);
  reg.setHomeserverToken(AppServiceRegistration.generateToken());
  reg.setAppServiceToken(AppServiceRegistration.generateToken());
  reg.setSenderLocalpart(reg.getSenderLocalpart() ?? BOT_LOCALPART);
  reg.addRegexPattern('users', `@${GHOST_PREFIX}.*:${domain}`, true);
  reg.addRegexPattern('aliases', `#${GHOST_PREFIX}.*:${domain}`, true);
  // Ghosts post as often as Slack users do; the bridge is not a spammer to be throttled.
  reg.setRateLimited(false);
  reg.setProtocols(['slack']);
  return reg;
}
