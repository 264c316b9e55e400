import { pino } from 'pino';

// The one place that builds the root logger; everything else receives a Logger (or a child of it).

export type Logger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;

/**
 * A pino logger writing JSON lines. Without a destination it writes to stdout synchronously, so the
 * last lines before an exit are not lost; tests pass 'silent' or their own stream to capture lines.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
  return destination ? pino(options, destination) : pino(options, pino.destination({ dest: 1, sync: true }));
}
