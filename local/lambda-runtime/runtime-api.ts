import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { lambdaV8Flags } from '../../lib/bundling/lambda-v8-flags';

/**
 * A Lambda execution environment on this machine, one cold start per invocation: a fresh
 * `node` process runs a runtime interface client against a Runtime API served here (the
 * 2018-06-01 protocol Lambda's own runtimes speak: GET .../invocation/next, POST
 * .../invocation/{id}/response or /error, POST .../init/error), which loads the bundle from its
 * task root and calls its handler with the event. What Lambda adds before the process starts
 * (placing the sandbox, fetching the package) is not here; everything from the process's start
 * to the handler's answer is.
 */

/** The runtime interface client a process runs. */
export interface RuntimeClient {
  /** Node arguments before `handler` (e.g. the client's script). */
  args: string[];
  /** What the report says ran the bundles. */
  name: string;
}

/**
 * This directory's bootstrap.mjs: the runtime interface client's loop in plain Node (see there).
 * Not `aws-lambda-ric` itself: its install compiles curl and aws-lambda-cpp from source (more
 * than 15 minutes on the project's 2-core machines), a cost every `npm ci` would pay.
 */
export const BOOTSTRAP_CLIENT: RuntimeClient = {
  args: [join(__dirname, 'bootstrap.mjs')],
  name: 'local/lambda-runtime/bootstrap.mjs',
};

export interface ColdInvocation {
  /** The directory holding the bundle (Lambda's LAMBDA_TASK_ROOT, /var/task). */
  taskRoot: string;
  /** `file.export`, as the function's Handler setting: `index.handler`. */
  handler: string;
  /** The function's environment (NODE_OPTIONS included), on top of what Lambda sets itself. */
  environment: Record<string, string>;
  event: unknown;
  functionName?: string;
  /**
   * The function's MemorySize: AWS_LAMBDA_FUNCTION_MEMORY_SIZE and the V8 flags the runtime starts
   * node with (lib/bundling/lambda-v8-flags.ts), which decide whether V8 takes a bundle's cache.
   * @default 512
   */
  memorySize?: number;
  /** @default 30_000 */
  timeoutMs?: number;
  client?: RuntimeClient;
}

/** Milliseconds from the process's spawn. */
export interface ColdTimings {
  /** The client asked for its first event: the bundle is loaded (Lambda's Init phase). */
  initMs: number;
  /** The handler's answer arrived (Init + Invoke). */
  totalMs: number;
}

export type ColdResult =
  | { ok: true; result: unknown; timings: ColdTimings }
  | { ok: false; error: { errorType: string; errorMessage: string }; timings: ColdTimings };

/** The handler failed to load, the process died, or it did not answer in time. */
export class ColdStartError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ColdStartError';
  }
}

const API = '/2018-06-01/runtime';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown = { status: 'OK' }, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Invokes `options.handler` once in a fresh process and ends the process: every invocation is
 * a cold start, as the first alert after a quiet week meets the functions.
 */
export async function invokeCold(options: ColdInvocation): Promise<ColdResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const requestId = randomUUID();
  const functionName = options.functionName ?? 'local-function';
  let settle: (result: ColdResult) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const outcome = new Promise<ColdResult>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let spawnedAt = 0;
  let initAt: number | undefined;
  const timings = (): ColdTimings => {
    const now = performance.now();
    return { initMs: (initAt ?? now) - spawnedAt, totalMs: now - spawnedAt };
  };
  let delivered = false;

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    void (async () => {
      if (req.method === 'GET' && url === `${API}/invocation/next`) {
        if (delivered) return; // one invocation per process: the next never comes
        delivered = true;
        initAt = performance.now();
        answer(res, 200, options.event, {
          'lambda-runtime-aws-request-id': requestId,
          'lambda-runtime-deadline-ms': String(Date.now() + timeoutMs),
          'lambda-runtime-invoked-function-arn': `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
          'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${requestId.replaceAll('-', '').slice(0, 24)};Sampled=0`,
        });
        return;
      }
      const body = await readBody(req);
      if (req.method === 'POST' && url === `${API}/invocation/${requestId}/response`) {
        answer(res, 202);
        settle({ ok: true, result: body ? JSON.parse(body) : null, timings: timings() });
      } else if (req.method === 'POST' && url === `${API}/invocation/${requestId}/error`) {
        answer(res, 202);
        const error = JSON.parse(body) as { errorType: string; errorMessage: string };
        settle({ ok: false, error, timings: timings() });
      } else if (req.method === 'POST' && url === `${API}/init/error`) {
        answer(res, 202);
        fail(new ColdStartError(`the handler failed to initialize: ${body}`, stderr));
      } else answer(res, 404, { errorMessage: `unknown Runtime API call ${req.method} ${url}` });
    })().catch((error: unknown) => fail(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const client = options.client ?? BOOTSTRAP_CLIENT;
  let stderr = '';
  spawnedAt = performance.now();
  const memorySize = options.memorySize ?? 512;
  // Lambda's bootstrap starts node with the V8 flags of the function's memory.
  const child = spawn(process.execPath, [...lambdaV8Flags(memorySize), ...client.args, options.handler], {
    cwd: options.taskRoot,
    env: {
      PATH: process.env.PATH,
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: options.taskRoot,
      LAMBDA_RUNTIME_DIR: options.taskRoot,
      _HANDLER: options.handler,
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      ...options.environment,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.once('exit', (code, signal) =>
    fail(new ColdStartError(`the runtime process ended (${signal ?? code}) before answering`, stderr)),
  );
  const timer = setTimeout(
    () => fail(new ColdStartError(`no answer within ${timeoutMs} ms`, stderr)),
    timeoutMs,
  );
  try {
    return await outcome;
  } finally {
    clearTimeout(timer);
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
