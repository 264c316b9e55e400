import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateConfigFile } from '../config/generate.js';
import { loadConfigWithWarnings } from '../config/load.js';
import { createLogger } from '../http/logger.js';
import type { ListenAddress } from '../main.js';
import { planBridgeLaunches, superviseBridges } from './bridge-supervisor.js';
import { chooseConfigPath } from './config-path.js';
import { startIdleCollector } from './idle-gc.js';
import { parseYesNo } from './generate-config.js';
import type { CliContext } from './io.js';

export const START_USAGE = `usage: hearth start [--config PATH]
  Runs the homeserver in the foreground until SIGTERM or SIGINT.
  --config  homeserver.yaml to use (env SYNAPSE_CONFIG_PATH; default data/homeserver.yaml, generated for
            server name "localhost" when missing). With env SYNAPSE_SERVER_NAME set, a missing config is
            generated for that name, as Synapse's Docker image does.`;

/** If a shutdown hangs (a stuck connection, a slow database), exit anyway rather than hang the supervisor. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/** An unspecified bind address is reachable locally through loopback; that is what a user can paste. */
function pasteable(a: ListenAddress): ListenAddress {
  return { ...a, host: a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host };
}

export async function startCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    ctx.out(START_USAGE);
    return 0;
  }
  const { path, isDefault } = chooseConfigPath(values.config, ctx);
  const generateFor = ctx.env.SYNAPSE_SERVER_NAME || (isDefault ? 'localhost' : undefined);
  if (!existsSync(path) && generateFor) {
    const dataDir = ctx.env.SYNAPSE_DATA_DIR ? resolve(ctx.cwd, ctx.env.SYNAPSE_DATA_DIR) : dirname(path);
    const reportStats = ctx.env.SYNAPSE_REPORT_STATS ? parseYesNo(ctx.env.SYNAPSE_REPORT_STATS, 'SYNAPSE_REPORT_STATS') : false;
    const generated = generateConfigFile({ serverName: generateFor, reportStats, configPath: path, dataDir });
    ctx.out(`generated ${generated.configPath} for server name "${generateFor}" and signing key ${generated.signingKeyPath}`);
  }

  const { config, warnings } = loadConfigWithWarnings(path, ctx.env);
  const logger = createLogger(config.logLevel);
  for (const w of warnings) logger.warn(w);
  // Checked before anything starts: a bridge whose files are missing is a config error, not a crash loop.
  const bridgeLaunches = planBridgeLaunches(config.bridges ?? []);

  // Loaded only now so that --help, --version and config errors never pay for koa and the database drivers.
  const { startHomeserver, addressUrl } = await import('../main.js');
  const server = await startHomeserver(config, logger);
  // Per process, not per homeserver: it collects the whole process's heap (tests run several servers in one).
  const idleGc = startIdleCollector({ logger: logger.child({ component: 'idle-gc' }) });

  // Bridges start once the homeserver answers: the first thing a bridge does is talk to it.
  const bridges = bridgeLaunches.length > 0 ? superviseBridges(bridgeLaunches, { logger: logger.child({ component: 'bridges' }) }) : null;

  const urls = server.addresses.map((a) => addressUrl(pasteable(a)));
  ctx.out(`homeserver ${config.serverName} is running`);
  for (const u of urls) ctx.out(`  listening on ${u}`);
  for (const b of bridgeLaunches) ctx.out(`  running bridge ${b.name}`);
  if (urls[0]) {
    ctx.out(
      `To create the first (admin) user, in another shell:\n` +
        `  node dist/src/cli/hearth.mjs register-user -c ${path} -a ${urls[0]}`,
    );
  }
  ctx.out('Stop with Ctrl+C or SIGTERM.');

  return new Promise<number>((done) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal during shutdown; exiting now');
        done(1);
        return;
      }
      stopping = true;
      idleGc.stop();
      logger.info({ signal }, 'shutting down');
      setTimeout(() => {
        logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting');
        done(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
      // Bridges first, so they can finish what they were sending while the homeserver still answers.
      (bridges ? bridges.stop() : Promise.resolve()).then(() => server.close()).then(
        () => done(0),
        (err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          done(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
