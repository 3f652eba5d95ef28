import { exitMeaning, signalName } from '../../../../lambdas/shared/diagnosis/exit-codes';

describe('exitMeaning', () => {
  it.each([
    [0, 'success', undefined],
    [1, 'app-error', undefined],
    [2, 'misuse', undefined],
    [126, 'not-executable', undefined],
    [127, 'not-found', undefined],
    [128, 'start-error', undefined],
    [134, 'abort', 'SIGABRT'],
    [137, 'killed', 'SIGKILL'],
    [139, 'segfault', 'SIGSEGV'],
    [143, 'terminated', 'SIGTERM'],
    [130, 'signal', 'SIGINT'],
    [135, 'signal', 'SIGBUS'],
    [3, 'app-error', undefined],
    [255, 'unknown', undefined],
  ])('reads exit code %i as %s', (code, kind, signal) => {
    // Act
    const meaning = exitMeaning(code);

    // Assess
    expect(meaning.kind).toBe(kind);
    expect(meaning.signal).toBe(signal);
    expect(meaning.meaning).toMatch(/\S/);
  });

  it('says what 137 and 134 usually mean in a container', () => {
    // Assess
    expect(exitMeaning(137).meaning).toMatch(/OOM killer|liveness/);
    expect(exitMeaning(134).meaning).toMatch(/V8 or JVM heap/);
    expect(exitMeaning(127).meaning).toMatch(/shared library/);
  });
});

describe('signalName', () => {
  it('prefers the signal the runtime reported, else reads it from the exit code', () => {
    // Assess
    expect(signalName(9, 137)).toBe('SIGKILL');
    expect(signalName(undefined, 143)).toBe('SIGTERM');
    expect(signalName(undefined, 1)).toBeUndefined();
  });
});
