import { measureProcess } from '../../bench/process-usage';

describe('measureProcess', () => {
  it("returns the child's output with its wall time and a peak resident size", async () => {
    // Act
    const usage = await measureProcess(process.execPath, ['-e', 'console.log("dumped")']);

    // Assess
    expect(usage.stdout).toBe('dumped\n');
    expect(usage.wallMs).toBeGreaterThan(0);
    expect(usage.maxRssKiB).toBeGreaterThan(0);
  });

  it('rejects with the stderr of a child that fails', async () => {
    // Act
    const act = measureProcess(process.execPath, [
      '-e',
      'console.error("no such namespace"); process.exit(3)',
    ]);

    // Assess
    await expect(act).rejects.toThrow(/exited with 3:\nno such namespace/);
  });
});
