import { perContainer } from '../../../lambdas/shared/per-container';

describe('perContainer', () => {
  it('makes the value once for every invocation of a container', async () => {
    // Prepare
    let made = 0;
    const value = perContainer(async () => ({ client: ++made }));

    // Act
    const results = await Promise.all([value(), value(), value()]);

    // Assess
    expect(made).toBe(1);
    expect(results.map((r) => r.client)).toEqual([1, 1, 1]);
  });

  it('tries again after a failure instead of keeping it', async () => {
    // Prepare
    let attempts = 0;
    const value = perContainer(async () => {
      attempts++;
      if (attempts === 1) throw new Error('DescribeCluster throttled');
      return 'kubeconfig';
    });

    // Act
    const first = value();
    await expect(first).rejects.toThrow('DescribeCluster throttled');
    const second = await value();

    // Assess
    expect(second).toBe('kubeconfig');
    expect(attempts).toBe(2);
  });
});
