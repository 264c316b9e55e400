import type { HttpDeps } from '../http/deps.js';
import { RateLimiter } from '../http/rate-limit.js';
import type { Requester } from '../types/requester.js';

// rc_message: how fast one user may create events through the Client-Server API (send, state, redact), as
// Synapse applies it. Application services are exempt when their registration says `rate_limited: false`
// (for every user they act as) and their sender user is never limited; admins are limited like anyone else,
// as in Synapse (an operator opens rc_message for them in the config).

export type MessageRateCheck = (requester: Requester) => void;

export function messageRateLimit(deps: HttpDeps): MessageRateCheck {
  const limiter = new RateLimiter(deps.config.rateLimits, deps.now ? { now: deps.now } : {});
  return (requester) => {
    if (requester.appserviceId !== null) {
      const entry = deps.services.appservices.registry.findById(requester.appserviceId);
      if (entry === undefined || !entry.reg.rateLimited || requester.userId === entry.senderUserId) return;
    }
    limiter.check('message', requester.userId);
  };
}
