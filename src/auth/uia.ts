import { MatrixError, badJson } from '../errors/index.js';
import type { AccountStore, UiaSessionRecord } from '../storage/interfaces/index.js';
import type { UserId } from '../types/ids.js';
import { randomSessionId } from './tokens.js';
import { UiaChallenge } from './uia-challenge.js';

// User-interactive authentication (spec: client-server-api "User-Interactive Authentication API").
// A session belongs to one operation; stages completed in it are remembered until a flow is complete.

export const STAGE_DUMMY = 'm.login.dummy';
export const STAGE_PASSWORD = 'm.login.password';
export const STAGE_REGISTRATION_TOKEN = 'm.login.registration_token';

/** Sessions older than this are gone (Synapse keeps them two days). */
export const UIA_SESSION_LIFETIME_MS = 48 * 60 * 60 * 1000;

export interface UiaRequest {
  /** What the session authorises, e.g. 'register' or 'delete_devices:@alice:hs'. */
  operation: string;
  flows: Array<{ stages: string[] }>;
  params?: Record<string, unknown>;
  /** The request's `auth` object, if any. */
  auth: unknown;
  /** The request body without `auth` (remembered in the session; an empty one means "use what was stored"). */
  clientParams: Record<string, unknown>;
  /** For operations by a logged-in user: whose password proves the stage. */
  userId: UserId | null;
}

export interface UiaResult {
  sessionId: string;
  completed: Record<string, unknown>;
  clientParams: Record<string, unknown>;
  serverData: Record<string, unknown>;
}

/** How the stages reach outside this module: password checks and registration tokens. */
export interface UiaPorts {
  store: AccountStore;
  now: () => number;
  /** The user id an m.login.password auth dict proves, or null when the password is wrong / user unknown. */
  checkPassword(auth: Record<string, unknown>): Promise<UserId | null>;
}

class StageFailure extends Error {
  constructor(
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class UserInteractiveAuth {
  private lastSweep = 0;

  constructor(private readonly ports: UiaPorts) {}

  /** Resolves when a flow is complete; otherwise throws the 401 challenge (with errcode when a stage failed). */
  async check(req: UiaRequest): Promise<UiaResult> {
    if (req.auth !== undefined && req.auth !== null && !isObject(req.auth)) throw badJson('auth must be an object');
    const auth = isObject(req.auth) ? req.auth : null;
    const session = await this.session(req, auth);
    let clientParams = session.clientParams;
    if (Object.keys(req.clientParams).length > 0) {
      clientParams = req.clientParams;
      await this.ports.store.setUiaClientParams(session.sessionId, clientParams);
    }

    let failure: { errcode: string; error: string } | null = null;
    const type = auth?.type;
    if (auth !== null && type !== undefined) {
      if (typeof type !== 'string') throw badJson('auth.type must be a string');
      if (!req.flows.some((f) => f.stages.includes(type))) {
        throw new MatrixError('M_UNRECOGNIZED', 400, `Unrecognised login type: ${type}`);
      }
      try {
        const result = await this.runStage(type, auth, req, session);
        await this.ports.store.markUiaStageComplete(session.sessionId, type, result);
        session.completed[type] = result;
      } catch (e) {
        if (!(e instanceof StageFailure)) throw e;
        failure = { errcode: e.errcode, error: e.message };
      }
    }

    const done = Object.keys(session.completed);
    if (failure === null && req.flows.some((f) => f.stages.every((s) => done.includes(s)))) {
      return { sessionId: session.sessionId, completed: session.completed, clientParams, serverData: session.serverData };
    }
    throw new UiaChallenge(
      { flows: req.flows, params: req.params ?? {}, session: session.sessionId, completed: done },
      failure,
    );
  }

  /** Records a server-side fact in the session (e.g. the user registered by it). */
  async setServerData(sessionId: string, data: Record<string, unknown>): Promise<void> {
    await this.ports.store.setUiaServerData(sessionId, data);
  }

  private async session(req: UiaRequest, auth: Record<string, unknown> | null): Promise<UiaSessionRecord> {
    const store = this.ports.store;
    const now = this.ports.now();
    const sid = auth?.session;
    if (sid !== undefined) {
      if (typeof sid !== 'string') throw badJson('auth.session must be a string');
      const found = await store.getUiaSession(sid);
      if (found === null || found.createdTs + UIA_SESSION_LIFETIME_MS < now) {
        throw new MatrixError('M_UNKNOWN', 400, `Unknown session ID: ${sid}`);
      }
      if (found.operation !== req.operation) {
        throw new MatrixError('M_FORBIDDEN', 403, 'Requested operation has changed during the UI authentication session.');
      }
      return found;
    }
    if (now - this.lastSweep > 60_000) {
      this.lastSweep = now;
      await store.deleteUiaSessionsBefore(now - UIA_SESSION_LIFETIME_MS);
    }
    const created = {
      sessionId: randomSessionId(),
      createdTs: now,
      operation: req.operation,
      clientParams: req.clientParams,
      serverData: {},
    };
    await store.createUiaSession(created);
    return { ...created, completed: {} };
  }

  private async runStage(type: string, auth: Record<string, unknown>, req: UiaRequest, session: UiaSessionRecord): Promise<unknown> {
    switch (type) {
      case STAGE_DUMMY:
        return true;
      case STAGE_PASSWORD: {
        const userId = await this.ports.checkPassword(auth);
        if (userId === null) throw new StageFailure('M_FORBIDDEN', 'Invalid username or password');
        if (req.userId !== null && userId !== req.userId) throw new StageFailure('M_FORBIDDEN', 'Invalid auth: the password is not for this user');
        return userId;
      }
      case STAGE_REGISTRATION_TOKEN: {
        const token = auth.token;
        if (typeof token !== 'string') throw new MatrixError('M_MISSING_PARAM', 400, 'Missing registration token');
        // A session reserves a use of its token once; repeating the stage with the same token is harmless.
        if (session.serverData.registration_token === token) return token;
        if (!(await this.ports.store.reserveRegistrationToken(token, this.ports.now()))) {
          throw new StageFailure('M_UNAUTHORIZED', 'Invalid registration token');
        }
        session.serverData = { ...session.serverData, registration_token: token };
        await this.ports.store.setUiaServerData(session.sessionId, session.serverData);
        return token;
      }
      default:
        throw new MatrixError('M_UNRECOGNIZED', 400, `Unrecognised login type: ${type}`);
    }
  }
}
