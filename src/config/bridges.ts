import { ConfigError } from './errors.js';
import type { BridgeProcessConfig } from './types.js';

// The `bridges:` section: in-repo bridges (bridges/<name>) that `hearth start` runs as supervised child processes,
// so one command runs the homeserver with its bridges. Each bridge stays an ordinary application service: the
// core only starts the process and loads its registration file like any other.
//
//   bridges:
//     - name: slack-webhooks
//       enabled: true                                   # default true
//       config: bridges/slack-webhooks/config.yaml      # the bridge's own config file
//       registration: registrations/slack-webhooks.yaml # loaded by the core with the other registrations
//       entry: dist/bridges/slack-webhooks/src/main.js  # optional: the bridge's built entry point

const pathStr = { type: 'string', minLength: 1, 'x-expected': 'a file path' };

export const bridgesSchema = {
  type: ['array', 'null'],
  items: {
    type: 'object',
    required: ['name', 'config'],
    properties: {
      name: {
        type: 'string',
        pattern: '^[a-z0-9][a-z0-9_-]*$',
        'x-expected': 'a bridge name: lower-case letters, digits, "-" and "_" (the folder under bridges/)',
      },
      enabled: { type: 'boolean' },
      config: pathStr,
      registration: pathStr,
      entry: pathStr,
    },
  },
};

type Raw = Record<string, unknown>;

/** Builds the validated section; `path` resolves a path against the config file's directory. */
export function buildBridges(raw: unknown, path: (p: string) => string): BridgeProcessConfig[] {
  if (!Array.isArray(raw)) return [];
  const seen = new Set<string>();
  return (raw as Raw[]).map((b, i) => {
    const name = b.name as string;
    if (seen.has(name)) throw new ConfigError(`bridges[${i}].name "${name}" is used by an earlier bridge; names must be unique`);
    seen.add(name);
    return {
      name,
      enabled: b.enabled !== false,
      configPath: path(b.config as string),
      registrationPath: typeof b.registration === 'string' ? path(b.registration) : null,
      entryPath: typeof b.entry === 'string' ? path(b.entry) : null,
    };
  });
}

/** Registration files of the enabled bridges: the core loads them with app_service_config_files. */
export function bridgeRegistrationFiles(bridges: readonly BridgeProcessConfig[]): string[] {
  return bridges.filter((b) => b.enabled && b.registrationPath !== null).map((b) => b.registrationPath as string);
}
