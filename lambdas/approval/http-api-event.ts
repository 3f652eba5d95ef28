import type { HttpAnswer } from '../intake/http';
import type { ApprovalRequest } from './approval-routes';

/** The parts of an API Gateway HTTP API request (payload format 2.0) the approval routes read. */
export interface HttpApiV2Event {
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string; path?: string } };
}

/**
 * The request as `serve` hands it to the routes. The body is the bytes the client sent: Slack
 * signs the raw body, so it is decoded from base64 when API Gateway encoded it, never re-encoded.
 * Header names are lower case, as API Gateway passes them and node:http gives them.
 */
export function approvalRequestOf(event: HttpApiV2Event): ApprovalRequest {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    query: new URLSearchParams(event.rawQueryString ?? ''),
    headers,
    body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8'),
  };
}

export function notFound(): HttpAnswer {
  return {
    statusCode: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: 'not found\n',
  };
}
