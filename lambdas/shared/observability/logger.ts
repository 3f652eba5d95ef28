import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogLevel } from '@aws-lambda-powertools/logger/types';
import { serviceName } from './metric-names';
import { RedactingLogFormatter } from './redacting-log-formatter';

export type { Logger };

export interface LoggerOptions {
  /**
   * The level below which entries are dropped.
   * @default - POWERTOOLS_LOG_LEVEL (or Lambda's AWS_LAMBDA_LOG_LEVEL), else INFO
   */
  level?: LogLevel;
  /** @default - POWERTOOLS_SERVICE_NAME, else DEFAULT_SERVICE_NAME (metric-names.ts) */
  serviceName?: string;
  /** Keys on every entry. @default - none */
  persistentKeys?: Record<string, unknown>;
  /**
   * Where each JSON line goes: the CLI sends them to its stderr, tests collect them.
   * @default - stdout (warnings and errors to stderr), as Lambda expects
   */
  write?: (line: string) => void;
}

/**
 * A Powertools Logger that writes its lines to a function instead of the process's console;
 * its children (createChild) write to the same place.
 */
class LineLogger extends Logger {
  // Not a #private field: Logger's constructor may print before the subclass's fields exist,
  // and those early lines go to the console.
  protected lineWriter?: (line: string) => void;

  constructor(options: ConstructorOptions, write: (line: string) => void) {
    super(options);
    this.lineWriter = write;
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!this.lineWriter) return super.printLog(logLevel, log);
    log.prepareForPrint();
    this.lineWriter(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }

  protected override createLogger(options: ConstructorOptions = {}): Logger {
    return new LineLogger(options, this.lineWriter ?? ((line) => process.stdout.write(`${line}\n`)));
  }
}

/**
 * The workflow's logger: Powertools' structured JSON (level, message, timestamp, service,
 * and once a Lambda context is added the request id and cold start), with every field a
 * caller passes redacted (redacting-log-formatter.ts).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const constructorOptions: ConstructorOptions = {
    serviceName: options.serviceName ?? serviceName(),
    logLevel: options.level,
    persistentKeys: options.persistentKeys,
    logFormatter: new RedactingLogFormatter(),
  };
  return options.write ? new LineLogger(constructorOptions, options.write) : new Logger(constructorOptions);
}
