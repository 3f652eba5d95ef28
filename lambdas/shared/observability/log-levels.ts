/**
 * The functions' log levels, in Powertools' names: the stack's `logLevel` setting
 * (lib/config.ts) becomes POWERTOOLS_LOG_LEVEL (lib/constructs/function-defaults.ts).
 */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type FunctionLogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: FunctionLogLevel = 'INFO';
