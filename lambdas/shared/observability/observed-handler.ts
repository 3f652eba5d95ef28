import { createLogger, type Logger } from './logger';

/**
 * One logger per function instance (Lambda runs one event at a time in an instance), made on
 * first use so that a module that is only imported pays nothing.
 */
let logger: Logger | undefined;

/** The function's logger: the handler's dependencies log through it too (notification channels). */
export function functionLogger(): Logger {
  logger ??= createLogger();
  return logger;
}

/** The parts of a step's event that identify it in the logs (docs/workflow.md, "Lambda event"). */
interface StepIdentity {
  /** The Task's state name, sent by every Lambda Task (lib/constructs/step-task.ts). */
  step?: unknown;
  execution?: { id?: unknown; name?: unknown };
  state?: { incident?: { id?: unknown }; run?: { id?: unknown } };
  params?: Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/**
 * The keys every entry of one invocation carries: the state it serves, the execution, and the
 * incident (or backup run) once it has an id. Read defensively: the event is not validated yet
 * (the step does that and fails with a named error, which is then logged with these keys).
 */
function invocationKeys(event: unknown, functionStep: string): Record<string, string | undefined> {
  const e = (typeof event === 'object' && event !== null ? event : {}) as StepIdentity;
  const params = e.params ?? {};
  return {
    step: text(e.step) ?? functionStep,
    action: text(params.action) ?? text(params.stage),
    execution_arn: text(e.execution?.id),
    execution_name: text(e.execution?.name),
    incident_id: text(e.state?.incident?.id),
    backup_run_id: text(e.state?.run?.id),
  };
}

/** Lambda's invocation context (the `aws-lambda` types are not a dependency of this project). */
type LambdaContext = Parameters<Logger['addContext']>[0];

/**
 * Wraps a step's handler: each invocation's log entries carry the Lambda request id, cold start
 * and the keys above; the outcome is logged once (with its duration, or the error, redacted).
 * Errors are rethrown unchanged: Step Functions' Retry and Catch match their names.
 */
export function observedHandler<E, R>(
  functionStep: string,
  handle: (event: E) => Promise<R>,
  /** The handler's own logger, when it is built from an explicit environment. @default functionLogger() */
  logger?: Logger,
): (event: E, context?: LambdaContext) => Promise<R> {
  return async (event, context) => {
    const log = logger ?? functionLogger();
    log.resetKeys();
    if (context) log.addContext(context);
    log.appendKeys(invocationKeys(event, functionStep));
    const started = performance.now();
    try {
      const result = await handle(event);
      log.info('step finished', { duration_ms: Math.round(performance.now() - started) });
      return result;
    } catch (error) {
      log.error('step failed', { duration_ms: Math.round(performance.now() - started), error });
      throw error;
    }
  };
}
