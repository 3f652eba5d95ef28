/**
 * Waiting on wall-clock time for something running in the background (a sandbox on a scaled
 * clock, a child process, a server) to reach a state. Tests on a manual sandbox clock step time
 * instead: `elapse` / `elapseUntil` in ./sandbox.
 */

export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, lastError: unknown) {
    super(
      `timed out after ${timeoutMs} ms waiting for ${what}${
        lastError === undefined ? '' : ` (the last check failed: ${String(lastError)})`
      }`,
    );
    this.name = 'WaitTimeoutError';
  }
}

export interface EventuallyOptions {
  /** @default 30000 */
  timeoutMs?: number;
  /** @default 50 */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a value other than `undefined` or `false`, and returns that value.
 * A check that throws counts as not yet: the error is kept and named in the WaitTimeoutError
 * thrown after `timeoutMs`, so a test fails with what it waited for instead of jest's timeout.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 50 }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs, lastError);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
