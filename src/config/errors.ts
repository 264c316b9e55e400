// A fatal configuration problem. The message is one line naming the key path and what was expected, so the CLI
// can print it as-is and exit non-zero.
export class ConfigError extends Error {
  constructor(message: string) {
    super(message.startsWith('config error: ') ? message : `config error: ${message}`);
    this.name = 'ConfigError';
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}

/** `["listeners", 0, "port"]` -> `listeners[0].port`, the way operators see the key in homeserver.yaml. */
export function keyPath(parts: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (!/^[A-Za-z0-9_]+$/.test(p)) out += `[${JSON.stringify(p)}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

/** A short rendering of the offending value for error messages; long values are cut. */
export function describeValue(value: unknown): string {
  let s: string;
  if (value === undefined) s = 'nothing';
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
