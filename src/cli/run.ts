import { isConfigError } from '../config/errors.js';
import { GENERATE_CONFIG_USAGE, generateConfigCommand } from './generate-config.js';
import { GENERATE_KEYS_USAGE, generateKeysCommand } from './generate-keys.js';
import { UsageError, type CliContext } from './io.js';
import { MIGRATE_USAGE, migrateCommand } from './migrate.js';
import { REGISTER_USER_USAGE, registerUserCommand } from './register-user.js';
import { START_USAGE, startCommand } from './start.js';
import { packageVersion } from './version.js';

export const USAGE = `usage: hearth <command> [options]
A Matrix homeserver. Commands:
  start            run the server (default config data/homeserver.yaml, generated if missing)
  generate-config  write a new homeserver.yaml and signing key
  generate-keys    create the signing key file if it is missing
  migrate          bring the database schema up to date and exit
  register-user    register a user on a running server with the shared secret
Options: --help, --version. Run "hearth <command> --help" for a command's options.

${START_USAGE}

${GENERATE_CONFIG_USAGE}

${GENERATE_KEYS_USAGE}

${MIGRATE_USAGE}

${REGISTER_USER_USAGE}`;

/** Runs one CLI invocation and resolves with the process exit code. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        ctx.out(USAGE);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-V':
      case 'version':
        ctx.out(packageVersion());
        return 0;
      case 'start':
        return await startCommand(rest, ctx);
      case 'generate-config':
        return generateConfigCommand(rest, ctx);
      case 'generate-keys':
        return generateKeysCommand(rest, ctx);
      case 'migrate':
        return await migrateCommand(rest, ctx);
      case 'register-user':
        return await registerUserCommand(rest, ctx);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (isConfigError(e)) {
      ctx.err(e.message);
      return 1;
    }
    // parseArgs reports unknown or malformed options with these codes.
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      ctx.err(`error: ${(e as Error).message.split('\n')[0]}`);
      ctx.err('run "hearth --help" for usage');
      return 2;
    }
    ctx.err(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
