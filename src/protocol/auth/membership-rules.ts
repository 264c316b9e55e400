import type { AuthContext } from './auth-context.js';
import { firstJoinUser } from './creators.js';
import { checkThirdPartyInvite } from './third-party-invite.js';
import { ALLOW, deny, type AuthResult } from './result.js';

// The m.room.member rules (rule 4 in v6-v11, 5 in v1-v5 and v12). Each version's differences are
// capabilities: `knocking` (knock membership and join rule, v7+), `restrictedJoins` (v8+),
// `knockRestricted` (v10+), `implicitCreator` (who may make the first join, v11+).
//
// Not checked here: "if content has join_authorised_via_users_server, the event must be validly signed by
// that user's server" (v8+). Signatures need the keyring, so that rule lives with the signature checks on
// receipt of a PDU (event-signing, which lists the authorising server among the required signers).

function prevEventIds(ctx: AuthContext): string[] {
  return ctx.event.pdu.prev_events.map((p) => (typeof p === 'string' ? p : p[0]));
}

function isFirstJoin(ctx: AuthContext, target: string): boolean {
  const create = ctx.create;
  if (!create) return false;
  const prev = prevEventIds(ctx);
  return prev.length === 1 && prev[0] === create.eventId && firstJoinUser(ctx.version, create) === target;
}

/** Join rules under which an invited (or already joined) user may join. */
function inviteLikeJoinRule(ctx: AuthContext, rule: string | undefined): boolean {
  return rule === 'invite' || (ctx.version.knocking && rule === 'knock');
}

function restrictedJoinRule(ctx: AuthContext, rule: string | undefined): boolean {
  return (
    (ctx.version.restrictedJoins && rule === 'restricted') ||
    (ctx.version.knockRestricted && rule === 'knock_restricted')
  );
}

function checkJoin(ctx: AuthContext, target: string): AuthResult {
  const { pdu } = ctx.event;
  if (isFirstJoin(ctx, target)) return ALLOW;
  if (pdu.sender !== target) return deny('join: sender does not match state_key');
  const current = ctx.membership(pdu.sender);
  if (current === 'ban') return deny('join: sender is banned');
  // A room without m.room.join_rules behaves as invite-only, as the major implementations treat it; the
  // spec leaves the missing-event case to the "otherwise, reject" branch, which invite-only also reaches
  // for anyone not already invited or joined.
  const rule = ctx.joinRule() ?? 'invite';
  if (inviteLikeJoinRule(ctx, rule)) {
    if (current === 'invite' || current === 'join') return ALLOW;
    return deny(`join: join rule is ${rule} and sender is neither invited nor joined`);
  }
  if (restrictedJoinRule(ctx, rule)) {
    if (current === 'invite' || current === 'join') return ALLOW;
    const authoriser = pdu.content.join_authorised_via_users_server;
    if (typeof authoriser !== 'string') {
      return deny(`join: ${rule} room requires join_authorised_via_users_server`);
    }
    if (ctx.membership(authoriser) !== 'join') {
      return deny(`join: authorising user ${authoriser} is not joined to the room`);
    }
    if (ctx.powerLevels.userLevel(authoriser) < ctx.powerLevels.invite) {
      return deny(`join: authorising user ${authoriser} lacks the invite level`);
    }
    return ALLOW;
  }
  if (rule === 'public') return ALLOW;
  return deny(`join: join rule ${rule} does not allow joining`);
}

function checkInvite(ctx: AuthContext, target: string): AuthResult {
  const { pdu } = ctx.event;
  if (Object.hasOwn(pdu.content, 'third_party_invite')) return checkThirdPartyInvite(ctx, target);
  if (ctx.membership(pdu.sender) !== 'join') return deny('invite: sender is not joined to the room');
  const targetMembership = ctx.membership(target);
  if (targetMembership === 'join' || targetMembership === 'ban') {
    return deny(`invite: target user is already ${targetMembership === 'join' ? 'joined' : 'banned'}`);
  }
  if (ctx.powerLevels.userLevel(pdu.sender) >= ctx.powerLevels.invite) return ALLOW;
  return deny('invite: sender power level is below the invite level');
}

function checkLeave(ctx: AuthContext, target: string): AuthResult {
  const { pdu } = ctx.event;
  const pl = ctx.powerLevels;
  if (pdu.sender === target) {
    const current = ctx.membership(target);
    if (current === 'invite' || current === 'join' || (ctx.version.knocking && current === 'knock')) return ALLOW;
    return deny(`leave: sender cannot leave from membership ${current ?? 'leave'}`);
  }
  if (ctx.membership(pdu.sender) !== 'join') return deny('leave: sender is not joined to the room');
  const senderLevel = pl.userLevel(pdu.sender);
  if (ctx.membership(target) === 'ban' && senderLevel < pl.ban) {
    return deny('leave: unbanning requires the ban level');
  }
  if (senderLevel >= pl.kick && pl.userLevel(target) < senderLevel) return ALLOW;
  return deny('leave: sender needs the kick level and a higher power level than the target');
}

function checkBan(ctx: AuthContext, target: string): AuthResult {
  const { pdu } = ctx.event;
  const pl = ctx.powerLevels;
  if (ctx.membership(pdu.sender) !== 'join') return deny('ban: sender is not joined to the room');
  const senderLevel = pl.userLevel(pdu.sender);
  if (senderLevel >= pl.ban && pl.userLevel(target) < senderLevel) return ALLOW;
  return deny('ban: sender needs the ban level and a higher power level than the target');
}

function checkKnock(ctx: AuthContext, target: string): AuthResult {
  const { pdu } = ctx.event;
  const rule = ctx.joinRule();
  const knockable = rule === 'knock' || (ctx.version.knockRestricted && rule === 'knock_restricted');
  if (!knockable) return deny(`knock: join rule ${rule ?? '(none)'} does not allow knocking`);
  if (pdu.sender !== target) return deny('knock: sender does not match state_key');
  const current = ctx.membership(pdu.sender);
  if (current === 'ban' || current === 'invite' || current === 'join') {
    return deny(`knock: sender is already ${current === 'ban' ? 'banned' : current === 'join' ? 'joined' : 'invited'}`);
  }
  return ALLOW;
}

export function checkMembership(ctx: AuthContext): AuthResult {
  const { pdu } = ctx.event;
  const target = pdu.state_key;
  const membership = pdu.content.membership;
  if (typeof target !== 'string') return deny('m.room.member event has no state_key');
  if (typeof membership !== 'string') return deny('m.room.member event has no content.membership');
  switch (membership) {
    case 'join':
      return checkJoin(ctx, target);
    case 'invite':
      return checkInvite(ctx, target);
    case 'leave':
      return checkLeave(ctx, target);
    case 'ban':
      return checkBan(ctx, target);
    case 'knock':
      if (ctx.version.knocking) return checkKnock(ctx, target);
      break;
  }
  return deny(`unknown membership ${membership}`);
}
