import { AppService, type WeakEvent } from 'matrix-appservice-bridge';

// matrix-appservice answers a transaction with 200 before the bridge has done anything with its events, so a
// bridge that stops right after would lose them: the homeserver never sends a transaction twice once it got 200.
// This AppService first hands the events to `accept` (which stores what must reach Slack) and only then lets the
// library acknowledge; if storing fails it answers 500 and the homeserver retries the transaction.
//
// It overrides the library's (TypeScript-private) transaction handler, which the base constructor binds to the
// route, so the override is what the route calls. Pinned to matrix-appservice-bridge 10.3.3 / matrix-appservice 2.x.

interface Req {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  params: Record<string, string>;
  body?: { events?: WeakEvent[] };
}
interface Res {
  status(code: number): Res;
  send(body: unknown): void;
}

interface OpenAppService {
  onTransaction(req: Req, res: Res): void;
}
type OpenAppServiceCtor = new (config: { homeserverToken: string }) => OpenAppService;

export function createDurableAppService(homeserverToken: string, accept: (events: WeakEvent[]) => Promise<void>, onError: (err: unknown) => void): AppService {
  const Base = AppService as unknown as OpenAppServiceCtor;
  class DurableAppService extends Base {
    override onTransaction(req: Req, res: Res): void {
      const auth = req.headers.authorization;
      const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : req.query.access_token;
      // Unauthenticated or malformed requests go straight to the library, which refuses them.
      if (token !== homeserverToken || !Array.isArray(req.body?.events)) {
        super.onTransaction(req, res);
        return;
      }
      accept(req.body.events).then(
        () => super.onTransaction(req, res),
        (err: unknown) => {
          onError(err);
          res.status(500).send({ errcode: 'M_UNKNOWN', error: 'the bridge could not store the transaction; retry' });
        },
      );
    }
  }
  return new DurableAppService({ homeserverToken }) as unknown as AppService;
}
