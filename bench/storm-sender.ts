import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One delivery's answer as the sender saw it. */
export interface Delivered {
  /** First post → final answer read. */
  ms: number;
  /** The final answer read, from the start of the first round. */
  endMs: number;
  /** HTTP status of the final answer. */
  status: number;
  /** 5xx answers or failed connections (status 0) before it, each retried after Retry-After as Alertmanager does. */
  refused: number[];
  /** The answer's body. */
  body: string;
}

/** Transfers one curl process runs at once: curl's --parallel-max is at most 300. */
const PER_CURL = 250;

interface Attempt {
  id: number;
  status: number;
  ms: number;
  retryAfterS: number;
}

/**
 * A curl process started now that reads its transfers from stdin: `go` hands them over, so the
 * fork and exec of the process happen before the deliveries are timed.
 */
function curl(args: string[]): { go: (config: string) => Promise<string> } {
  const child = spawn('curl', [...args, '--config', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<string>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error('the alert storm posts its deliveries with curl: install curl (apt-get install curl)')
          : error,
      ),
    );
    // Exit codes 7 (refused connection) and alike are per transfer, reported in `out`.
    child.once('close', (code) =>
      out || code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}: ${err.trim()}`)),
    );
  });
  exited.catch(() => undefined);
  return {
    go: (config) => {
      child.stdin.end(config);
      return exited;
    },
  };
}

/**
 * Posts `bodies` with curl, as Alertmanager posts from its own process: a sender in Node spends
 * about a millisecond of CPU on each request (fetch: more), so 1,000 of them at once would
 * measure the sender's event loop, not the server's. curl (libcurl's multi interface, C) costs a
 * few microseconds each. `at once`: every delivery in flight together, on its own connection
 * (curl runs at most 300 transfers per process, so 250 per process, all started at once);
 * `in sequence`: one after the other on one connection.
 *
 * A 5xx or a failed connection is retried after its Retry-After (1 s without one), as
 * Alertmanager retries: all such deliveries of a round are posted again together, and the
 * latency is the first post → the final answer. curl's time of a transfer starts when curl
 * starts it, a few milliseconds after the process is spawned.
 */
export async function postWithCurl(
  url: string,
  token: string,
  bodies: readonly string[],
  mode: 'at once' | 'in sequence',
  /** Told when the first post is about to go out and when the last answer is in, so the caller's CPU measure leaves the sender's files out. */
  hooks: { sending?: () => void; answered?: () => void } = {},
): Promise<Delivered[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-storm-'));
  try {
    const fileOf = new Map<string, string>();
    for (const body of bodies) {
      if (fileOf.has(body)) continue;
      const file = join(dir, `body-${fileOf.size}.json`);
      await writeFile(file, body);
      fileOf.set(body, file);
    }
    const finals: Array<Attempt & { endMs: number; latencyMs: number }> = [];
    const refused = bodies.map((): number[] => []);
    let t0 = 0;
    let waiting = bodies.map((_, id) => id);
    for (let round = 0; waiting.length; round += 1) {
      const chunks =
        mode === 'at once'
          ? Array.from({ length: Math.ceil(waiting.length / PER_CURL) }, (_, i) =>
              waiting.slice(i * PER_CURL, (i + 1) * PER_CURL),
            )
          : [waiting];
      const configs = chunks.map((ids) =>
        ids
          .map((id) =>
            [
              `url = "${url}"`,
              `header = "authorization: Bearer ${token}"`,
              'header = "content-type: application/json"',
              `data-binary = "@${fileOf.get(bodies[id])}"`,
              `output = "${join(dir, `${id}.out`)}"`,
              `write-out = "${id} %{http_code} %{time_total} %header{retry-after}\\n"`,
            ].join('\n'),
          )
          .join('\nnext\n'),
      );
      const parallel = ['--parallel', '--parallel-immediate', '--parallel-max', String(PER_CURL)];
      const senders = configs.map(() =>
        curl(['--silent', '--show-error', ...(mode === 'at once' ? parallel : [])]),
      );
      if (round === 0) {
        hooks.sending?.();
        t0 = performance.now();
      }
      const roundStart = performance.now() - t0;
      const outputs = await Promise.all(senders.map((sender, i) => sender.go(`${configs[i]}\n`)));
      const attempts: Attempt[] = outputs
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [id, status, seconds, retryAfter] = line.split(' ');
          return {
            id: Number(id),
            status: Number(status),
            ms: Number(seconds) * 1000,
            retryAfterS: Number(retryAfter) || 1,
          };
        });
      const again: Attempt[] = [];
      for (const attempt of attempts) {
        if (attempt.status >= 500 || attempt.status === 0) {
          refused[attempt.id].push(attempt.status);
          again.push(attempt);
          continue;
        }
        finals.push({
          ...attempt,
          latencyMs: mode === 'at once' ? roundStart + attempt.ms : attempt.ms,
          endMs: roundStart + attempt.ms,
        });
      }
      if (again.length) {
        const delayS = Math.max(...again.map((a) => a.retryAfterS));
        await new Promise((resolve) => setTimeout(resolve, delayS * 1000));
      }
      waiting = again.map((a) => a.id);
    }
    hooks.answered?.();
    const results: Delivered[] = new Array(bodies.length);
    for (const final of finals) {
      results[final.id] = {
        ms: final.latencyMs,
        endMs: final.endMs,
        status: final.status,
        refused: refused[final.id],
        body: await readFile(join(dir, `${final.id}.out`), 'utf8').catch(() => ''),
      };
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
