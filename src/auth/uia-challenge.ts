import { MatrixError } from '../errors/index.js';

// The 401 of user-interactive auth. It is not an ordinary error body: the first challenge carries only
// {flows, params, session, completed}, and clients (matrix-js-sdk's InteractiveAuth among them) show an error
// whenever `errcode` is present, so errcode/error appear only when a stage actually failed.

export interface UiaState {
  flows: Array<{ stages: string[] }>;
  params: Record<string, unknown>;
  session: string;
  completed: string[];
}

export class UiaChallenge extends MatrixError {
  constructor(
    readonly state: UiaState,
    failure: { errcode: string; error: string } | null,
  ) {
    super(failure?.errcode ?? 'M_UNAUTHORIZED', 401, failure?.error ?? 'User-interactive authentication required', {
      ...state,
    });
    this.failed = failure !== null;
  }

  readonly failed: boolean;

  override toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { ...this.extra };
    if (this.failed) {
      body.errcode = this.errcode;
      body.error = this.message;
    }
    return body;
  }
}
