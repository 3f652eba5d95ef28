import type { Streams } from '../../local/cli/output';

/** stdout and stderr of an in-process CLI run, as text; not a terminal. */
export function recordingStreams(): Streams & { stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  return {
    out: { write: (text: string) => void (out += text) },
    err: { write: (text: string) => void (err += text) },
    stdout: () => out,
    stderr: () => err,
  };
}
