import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a child process cost: wall time and peak resident memory, measured from outside it. */
export interface ProcessUsage {
  wallMs: number;
  /** Peak resident set size, KiB. */
  maxRssKiB: number;
  /** User + system CPU time, when GNU time measured the process. */
  cpuMs?: number;
  /** How the peak was read: GNU time's getrusage figure, or polling /proc/<pid>/status VmHWM. */
  method: 'gnu-time' | 'proc-vmhwm';
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';
const POLL_MS = 10;

/** Whether GNU time (Debian package `time`) is installed: it reports a child's max RSS exactly. */
export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/**
 * Runs `command` and measures it. With GNU time the peak is getrusage's ru_maxrss of the
 * process (and of any child it waited for). Without it, /proc/<pid>/status VmHWM is polled
 * every 10 ms: VmHWM only grows, so the last reading before exit is the peak, give or take
 * what the process grew in its final 10 ms. Rejects when the command exits non-zero.
 */
export async function measureProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessUsage> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-time-'));
  const timeFile = join(dir, 'time.txt');
  const gnuTime = hasGnuTime();
  try {
    const start = performance.now();
    const child = gnuTime
      ? spawn(GNU_TIME, ['-v', '-o', timeFile, command, ...args], { ...options, stdio: 'pipe' })
      : spawn(command, args, { ...options, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let polledKiB = 0;
    const poll = gnuTime
      ? undefined
      : setInterval(() => {
          readFile(`/proc/${child.pid}/status`, 'utf8')
            .then((status) => {
              const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
              if (hwm) polledKiB = Math.max(polledKiB, Number(hwm[1]));
            })
            // The process may have exited between two readings.
            .catch(() => undefined);
        }, POLL_MS);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    const wallMs = performance.now() - start;
    if (poll) clearInterval(poll);
    if (code !== 0) {
      throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`);
    }
    if (!gnuTime) return { wallMs, maxRssKiB: polledKiB, method: 'proc-vmhwm', stdout, stderr };
    const report = await readFile(timeFile, 'utf8');
    const maxRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
    if (!maxRss) throw new Error(`GNU time reported no maximum resident set size:\n${report}`);
    const seconds = (label: string) =>
      Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(report)?.[1]);
    const cpuMs = (seconds('User') + seconds('System')) * 1000;
    return { wallMs, maxRssKiB: Number(maxRss[1]), cpuMs, method: 'gnu-time', stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
