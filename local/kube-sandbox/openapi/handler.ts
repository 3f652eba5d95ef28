/**
 * The API server's non-resource endpoints beside discovery: the OpenAPI documents
 * (`/openapi/v2`, `/openapi/v3`, `/openapi/v3/<group-version>`) and the health probes
 * (`/healthz`, `/livez`, `/readyz`, each also `?verbose` and per check).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openApiV2Json, openApiV2Protobuf, openApiV3Document, openApiV3Index } from './spec';
import { OPENAPI_V2_PROTOBUF } from './v2-protobuf';

/** What kube-openapi answers v2 with when JSON is asked for. */
const V2_JSON = 'application/json';

/** The checks kube-apiserver runs per probe (the sandbox has no post-start hooks to wait for). */
const PROBE_CHECKS: Record<string, string[]> = {
  healthz: ['ping', 'log', 'etcd'],
  livez: ['ping', 'log', 'etcd'],
  readyz: ['ping', 'log', 'etcd', 'etcd-readiness', 'informer-sync', 'shutdown'],
};

function send(res: ServerResponse, code: number, contentType: string, body: string): number {
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache, private',
  });
  res.end(body);
  return code;
}

/** Whether Accept admits JSON (absent, `*\/*`, `application/*` or `application/json`, with q > 0). */
function acceptsJson(accept: string | undefined): boolean {
  if (!accept?.trim()) return true;
  return accept.split(',').some((clause) => {
    const [mediaType, ...params] = clause.split(';').map((p) => p.trim());
    if (params.some((p) => p.replace(/\s/g, '') === 'q=0')) return false;
    return mediaType === 'application/json' || mediaType === 'application/*' || mediaType === '*/*';
  });
}

/** Whether Accept names `mediaType` itself (with q > 0). */
function accepts(accept: string | undefined, mediaType: string): boolean {
  return (accept ?? '').split(',').some((clause) => {
    const [type, ...params] = clause.split(';').map((p) => p.trim());
    return type === mediaType && !params.some((p) => p.replace(/\s/g, '') === 'q=0');
  });
}

/**
 * Serves the request if it is for one of these endpoints, returning the status code written;
 * undefined when the path is not one of them.
 */
export function serveNonResource(req: IncomingMessage, res: ServerResponse, url: URL): number | undefined {
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments[0] === 'openapi') return serveOpenApi(req, res, segments.slice(1));
  const checks = PROBE_CHECKS[segments[0]];
  if (checks && segments.length <= 2) {
    if (segments.length === 2) {
      if (!checks.includes(segments[1]))
        return send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
      return send(res, 200, 'text/plain; charset=utf-8', 'ok');
    }
    if (!url.searchParams.has('verbose')) return send(res, 200, 'text/plain; charset=utf-8', 'ok');
    const lines = checks.map((c) => `[+]${c} ok`).join('\n');
    return send(res, 200, 'text/plain; charset=utf-8', `${lines}\n${segments[0]} check passed\n`);
  }
  return undefined;
}

function serveOpenApi(req: IncomingMessage, res: ServerResponse, rest: string[]): number {
  const notFound = (): number => send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
  if (rest[0] === 'v2' && rest.length === 1) {
    // client-go asks for the protobuf form only; other clients (and curl) get JSON.
    if (accepts(req.headers.accept, OPENAPI_V2_PROTOBUF)) {
      const body = openApiV2Protobuf();
      res.writeHead(200, {
        // kube-openapi sets no type for it (http.ServeContent sniffs the bytes); the media type
        // asked for has an `@` client-go's MIME parser refuses in a Content-Type.
        'Content-Type': 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'no-cache, private',
      });
      res.end(body);
      return 200;
    }
    if (!acceptsJson(req.headers.accept))
      return send(res, 406, 'text/plain; charset=utf-8', '406 - Not Acceptable\n');
    return send(res, 200, V2_JSON, openApiV2Json());
  }
  if (rest[0] !== 'v3') return notFound();
  if (rest.length === 1) return send(res, 200, 'application/json', JSON.stringify(openApiV3Index()));
  const doc = openApiV3Document(rest.slice(1).join('/'));
  if (!doc) return notFound();
  return send(res, 200, 'application/json', doc.json);
}
