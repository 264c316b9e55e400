import { pino } from 'pino';

// The one place a bridge process builds its root logger; everything else in the bridge receives it (or a child).

export type BridgeLogger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;

/** JSON lines to stdout (synchronously, so the last lines before an exit are kept), tagged with the bridge name. */
export function createBridgeLogger(bridge: string, level: LogLevel, destination?: pino.DestinationStream): BridgeLogger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid, bridge },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
  return destination ? pino(options, destination) : pino(options, pino.destination({ dest: 1, sync: true }));
}
