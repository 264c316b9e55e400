#!/usr/bin/env node
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Cli } from 'matrix-appservice-bridge';
import { createBridgeLogger, ConfigError } from '../../_shared/src/index.js';
import { appserviceUrl, loadConfig, type SlackBridgeConfig } from './config.js';
import { DEFAULT_REGISTRATION_PATH, fillRegistration } from './registration.js';
import { startBridge } from './app.js';

// The bridge's command line, on matrix-appservice-bridge's Cli:
//   generate-registration -c config.yaml [-f registrations/slack-webhooks.yaml] [-u URL]
//   start -c config.yaml [-f registrations/slack-webhooks.yaml] [-p PORT]

const USAGE = `usage:
  slack-webhooks generate-registration -c CONFIG [-f REGISTRATION] [-u URL] [--force]
  slack-webhooks start -c CONFIG [-f REGISTRATION] [-p PORT]

  -c, --config        the bridge's config file (see config.sample.yaml)
  -f, --file          registration file to write or read (default ${DEFAULT_REGISTRATION_PATH})
  -u, --url           URL the homeserver reaches the bridge at (default from the config's appservice section)
  -p, --port          application-service port (default from the config)
      --force         replace an existing registration file (new tokens)
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      file: { type: 'string', short: 'f', default: DEFAULT_REGISTRATION_PATH },
      url: { type: 'string', short: 'u' },
      port: { type: 'string', short: 'p' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || command === '--help' || command === '-h' || (command !== 'generate-registration' && command !== 'start')) {
    process.stdout.write(USAGE);
    process.exit(values.help || command === '--help' || command === '-h' ? 0 : 1);
  }
  if (!values.config) fail(`--config is required\n${USAGE}`);
  let config: SlackBridgeConfig;
  try {
    config = loadConfig(values.config);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port)) fail(`--port ${values.port} is not a port number`);
    config.appservice.port = Number(values.port);
  }
  const cli = new Cli({
    registrationPath: values.file,
    enableRegistration: true,
    generateRegistration: (reg, done) => done(fillRegistration(reg, config, values.url ?? appserviceUrl(config))),
    // Cli hands over the registration it read from --file: the tokens and namespaces the homeserver knows us by.
    run: (_port, _config, registration) => {
      if (!registration) fail(`${values.file}: not a registration`);
      const logger = createBridgeLogger('slack-webhooks', config.logging.level);
      startBridge(config, registration, logger).then(
        (bridge) => {
          const stop = (signal: string) => {
            logger.info({ signal }, 'stopping');
            bridge.stop().then(
              () => process.exit(0),
              (err: unknown) => {
                logger.error({ err }, 'stopping failed');
                process.exit(1);
              },
            );
          };
          process.once('SIGTERM', () => stop('SIGTERM'));
          process.once('SIGINT', () => stop('SIGINT'));
        },
        (err: unknown) => {
          logger.fatal({ err }, 'the bridge could not start');
          process.exit(1);
        },
      );
    },
  });
  if (command === 'generate-registration') {
    // A registration in use holds the tokens the homeserver knows; replacing them silently would cut the bridge off.
    if (existsSync(values.file) && !values.force) fail(`${values.file} exists; pass --force to replace it (the homeserver must then reload it)`);
    mkdirSync(dirname(values.file), { recursive: true });
    cli.run({ 'generate-registration': true, url: values.url ?? appserviceUrl(config), file: values.file });
    return;
  }
  cli.run({ file: values.file });
}

main(process.argv.slice(2));
