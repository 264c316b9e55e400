import type { Env } from '../config/load.js';

/** What a CLI command may touch: its output streams and the environment, passed in so commands are testable. */
export interface CliContext {
  env: Env;
  cwd: string;
  out(line: string): void;
  err(line: string): void;
}

/** Thrown for bad command-line usage; the runner prints the message and the usage hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
