import type { CaughtError } from './contracts';

const CAUSE_MAX = 1000;

/**
 * What a Catch caught, for a human: `Error: message`. Lambda reports a function's error as the
 * JSON `{"errorType","errorMessage","trace":[...]}` in the Cause; only its message is shown (the
 * stack trace stays in the execution history and the function's log). A plain-text cause (a
 * States.* error) is already the message.
 */
export function caughtErrorText(error: CaughtError): string {
  let message = error.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: the message itself.
  }
  message = message.length > CAUSE_MAX ? `${message.slice(0, CAUSE_MAX - 1)}…` : message;
  return message ? `${error.Error}: ${message}` : error.Error;
}
