import { allInOrder, mapLimited } from '../../../lambdas/shared/concurrency';

/** A promise settled by hand, to decide the order in which work finishes. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('allInOrder', () => {
  it('gives the results in the order of the work, whatever order it finished in', async () => {
    const first = deferred<string>();
    const second = deferred<number>();
    const all = allInOrder([first.promise, second.promise]);
    second.resolve(2);
    await tick();
    first.resolve('one');
    await expect(all).resolves.toEqual(['one', 2]);
  });

  it('fails with the first failure in order, not the first in time, once every piece has settled', async () => {
    const first = deferred<string>();
    const second = deferred<string>();
    const third = deferred<string>();
    let settled = false;
    const all = allInOrder([first.promise, second.promise, third.promise]).finally(() => (settled = true));
    third.reject(new Error('third'));
    await tick();
    second.reject(new Error('second'));
    await tick();
    expect(settled).toBe(false); // the first is still running
    first.resolve('one');
    await expect(all).rejects.toThrow('second');
  });
});

describe('mapLimited', () => {
  it('runs at most `limit` items at once and keeps the order of the items', async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimited([5, 1, 4, 2, 3], 2, async (n, index) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running -= 1;
      return `${index}:${n}`;
    });
    expect(results).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3']);
    expect(most).toBe(2);
  });

  it('starts nothing after a failure, and fails with the earliest failed item once the running ones end', async () => {
    const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
    const started: number[] = [];
    const all = mapLimited([0, 1, 2, 3, 4], 3, async (n) => {
      started.push(n);
      await gates[n].promise;
      return n;
    });
    await tick();
    gates[2].reject(new Error('item 2'));
    await tick();
    gates[1].reject(new Error('item 1'));
    await tick();
    gates[0].resolve();
    await expect(all).rejects.toThrow('item 1');
    expect(started).toEqual([0, 1, 2]);
  });

  it('answers an empty list without calling the work', async () => {
    const work = jest.fn();
    await expect(mapLimited([], 4, work)).resolves.toEqual([]);
    expect(work).not.toHaveBeenCalled();
  });
});
