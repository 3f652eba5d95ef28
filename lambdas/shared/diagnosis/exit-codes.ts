/**
 * What a container's exit code says. Kubernetes reports the code the runtime saw: a process
 * killed by signal N exits 128+N, and the shells' conventions give 126 (found but not
 * executable) and 127 (not found) their meaning.
 */

export interface ExitMeaning {
  /** `SIGKILL` for 137; absent for codes that are not signals. */
  signal?: string;
  /** What it usually means in a Kubernetes container, in words. */
  meaning: string;
  /** A short class: rules match on it. */
  kind:
    | 'success'
    | 'app-error'
    | 'misuse'
    | 'not-executable'
    | 'not-found'
    | 'start-error'
    | 'abort'
    | 'killed'
    | 'segfault'
    | 'terminated'
    | 'signal'
    | 'unknown';
}

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

export function exitMeaning(code: number): ExitMeaning {
  switch (code) {
    case 0:
      return { kind: 'success', meaning: 'exited normally' };
    case 1:
      return { kind: 'app-error', meaning: 'the application exited with an error (see its last log lines)' };
    case 2:
      return {
        kind: 'misuse',
        meaning:
          'the application exited with a usage or startup error (a Go panic exits 2; shells use 2 for misuse)',
      };
    case 126:
      return {
        kind: 'not-executable',
        meaning: 'the command was found but cannot be executed (permissions, wrong architecture)',
      };
    case 127:
      return { kind: 'not-found', meaning: 'the command or a shared library it needs was not found' };
    case 128:
      return {
        kind: 'start-error',
        meaning: 'the container failed to start its command (invalid exit argument or runtime start error)',
      };
    case 134:
      return {
        signal: 'SIGABRT',
        kind: 'abort',
        meaning:
          'aborted (SIGABRT): the runtime gave up, e.g. a V8 or JVM heap exhausted, or a failed assertion',
      };
    case 137:
      return {
        signal: 'SIGKILL',
        kind: 'killed',
        meaning:
          'killed with SIGKILL: the memory limit (OOM killer), or the kubelet after a failed liveness probe did not stop it in time',
      };
    case 139:
      return {
        signal: 'SIGSEGV',
        kind: 'segfault',
        meaning: 'segmentation fault (SIGSEGV): a native crash, often a library or architecture mismatch',
      };
    case 143:
      return {
        signal: 'SIGTERM',
        kind: 'terminated',
        meaning:
          'terminated with SIGTERM: the kubelet stopped it (failed liveness probe, eviction or deletion)',
      };
  }
  if (code > 128 && code <= 128 + 64) {
    const signal = SIGNALS[code - 128] ?? `signal ${code - 128}`;
    return { signal, kind: 'signal', meaning: `killed by ${signal}` };
  }
  if (code > 0 && code < 126)
    return { kind: 'app-error', meaning: `the application exited with code ${code}` };
  return { kind: 'unknown', meaning: `exit code ${code}` };
}

/** `SIGKILL` from a terminated state's signal number or its exit code. */
export function signalName(signal: number | undefined, exitCode: number | undefined): string | undefined {
  if (signal) return SIGNALS[signal] ?? `signal ${signal}`;
  return exitCode !== undefined ? exitMeaning(exitCode).signal : undefined;
}
