import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTransient, UnauthorizedError } from '../../lambdas/intake/errors';
import { respond, type HttpAnswer } from '../../lambdas/intake/http';
import { authorize, MAX_BODY_BYTES, WEBHOOK_PATH, type IntakeDeps } from '../../lambdas/intake/intake';
import {
  APPROVAL_PATH,
  approvalRoutes,
  OPERATOR_APPROVAL_PATH,
  SLACK_INTERACTIONS_PATH,
  type ApprovalRouteDeps,
} from '../../lambdas/approval/approval-routes';
import { GroupCommitAlertIndex } from './group-commit-alert-index';
import type { IntakeActivity } from './intake-activity';

/**
 * Deliveries `serve` handles at once: an alert storm's thousand arrive together, and each costs
 * the intake well under a millisecond here, so all are answered long before Alertmanager's
 * timeout (10 s); refusing them would make each wait out a retry (Alertmanager backs off from
 * 1 s) for nothing. Past it the answer is 503, as the Lambda's throttle answers a 5xx on AWS.
 */
export const DEFAULT_MAX_IN_FLIGHT = 1024;

/** Bodies past the limit are read and dropped up to this much, so the client gets its 413; beyond, the connection is cut. */
const DRAIN_MAX_BYTES = 16 * MAX_BODY_BYTES;

export interface WebhookServerOptions extends Omit<IntakeDeps, 'token'> {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The bearer token Alertmanager must send. */
  token: string;
  /**
   * Deliveries handled at once; past it the answer is 503 with Retry-After, which Alertmanager
   * retries (it drops a 4xx, 429 included: its webhook notifier retries only 5xx).
   * @default DEFAULT_MAX_IN_FLIGHT
   */
  maxInFlight?: number;
  /** The approval routes (signed links, Slack interactivity), as the HTTP API serves them. Unset: none. */
  approvals?: ApprovalRouteDeps;
  /** Told of every delivery from its arrival to its answer (the executions it starts wait for them). */
  activity?: IntakeActivity;
}

export interface WebhookServer {
  /** `http://HOST:PORT/alertmanager`: Alertmanager's `webhook_configs.url`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  res.writeHead(answer.statusCode, answer.headers);
  res.end(answer.body);
}

function jsonAnswer(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** The body, or undefined when it exceeds MAX_BODY_BYTES (the rest is drained, then dropped). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > DRAIN_MAX_BYTES) req.destroy();
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

/**
 * `eks-incident serve`: the intake of lambdas/intake over node:http, as API Gateway serves it on
 * AWS, on `POST /alertmanager`. The token is checked before the body is read; the answer comes
 * as soon as the executions are started (the local starter does not wait for them to run).
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const {
    port = 0,
    host = '127.0.0.1',
    token,
    maxInFlight = DEFAULT_MAX_IN_FLIGHT,
    approvals,
    activity,
    ...intake
  } = options;
  const deps: IntakeDeps = {
    ...intake,
    // Concurrent deliveries share the index's reads and writes (one process, one event loop).
    alertIndex: intake.alertIndex ?? new GroupCommitAlertIndex(intake.evidence, { now: intake.now }),
    token: async () => token,
  };
  let inFlight = 0;

  const handle = async (req: IncomingMessage): Promise<HttpAnswer> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (
      approvals &&
      (path === SLACK_INTERACTIONS_PATH || APPROVAL_PATH.test(path) || OPERATOR_APPROVAL_PATH.test(path))
    ) {
      const body = await readBody(req);
      if (!body) return jsonAnswer(413, { error: 'payload too large', limitBytes: MAX_BODY_BYTES });
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]),
      );
      const request = {
        method: req.method ?? 'GET',
        path,
        query: url.searchParams,
        headers,
        body: body.toString('utf8'),
      };
      return (await approvalRoutes(request, approvals))!;
    }
    if (path !== WEBHOOK_PATH)
      return jsonAnswer(404, { error: `not found; the webhook is POST ${WEBHOOK_PATH}` });
    if (req.method !== 'POST') return jsonAnswer(405, { error: 'method not allowed' }, { allow: 'POST' });
    try {
      authorize(req.headers.authorization, token);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      // Same answer as the intake's, before reading a byte of the body.
      return respond({ authorization: req.headers.authorization, body: Buffer.alloc(0) }, deps);
    }
    const body = await readBody(req);
    if (!body) return jsonAnswer(413, { error: 'payload too large', limitBytes: MAX_BODY_BYTES });
    return respond({ authorization: req.headers.authorization, body }, deps);
  };

  const server: Server = createServer((req, res) => {
    if (inFlight >= maxInFlight) {
      intake.log.warn('overloaded: delivery refused with 503 for Alertmanager to retry', { inFlight });
      send(res, jsonAnswer(503, { error: 'overloaded, retry later' }, { 'retry-after': '1' }));
      req.resume();
      return;
    }
    inFlight += 1;
    activity?.enter();
    res.once('close', () => {
      inFlight -= 1;
      activity?.leave();
    });
    handle(req).then(
      (answer) => {
        send(res, answer);
        // An answer given before the body was read (401, 404, 405): let the client finish
        // sending, so it reads the answer instead of a reset connection.
        req.resume();
      },
      (error: unknown) => {
        intake.log.error('webhook request failed', { error });
        if (!res.headersSent)
          send(res, jsonAnswer(isTransient(error) ? 503 : 500, { error: 'internal error' }));
      },
    );
  });
  // A stalled client must not hold a delivery open past Alertmanager's own timeout.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A backlog as deep as the deliveries admitted: connections past the kernel's queue are
    // dropped and the client's SYN is retried only after a second.
    server.listen({ port, host, backlog: Math.max(511, maxInFlight) }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostText = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostText}:${address.port}${WEBHOOK_PATH}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
