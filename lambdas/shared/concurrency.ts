/**
 * Independent requests of one step, side by side instead of one after another: on a cold start
 * each is a round trip to the API server or S3, and a step's time is the sum of its awaits.
 *
 * Both helpers fail the way the awaits they replace would have: with the error of the earliest
 * work *in the caller's order*, not of whichever the network answered first, so a step reports
 * the same error whatever the timing; and only once the work already started has settled, so no
 * request of a failed step is still running (or rejects unhandled) after it has answered.
 */

/** The results of `work`, each awaited to the end; throws the first rejection in order. */
export async function allInOrder<T extends readonly unknown[] | []>(
  work: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled<readonly unknown[]>(work);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/**
 * `work` over `items`, at most `limit` at a time, the results in the order of `items`. After a
 * failure no further item is started, as a loop of awaits would stop there.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const failures: Array<{ index: number; error: unknown }> = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const index = next++;
      try {
        results[index] = await work(items[index], index);
      } catch (error) {
        failures.push({ index, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).error;
  return results;
}
