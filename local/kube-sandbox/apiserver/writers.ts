import { warningHeader } from '../admission/field-validation';
import type { RequestContext } from './context';

export function sendJson(
  ctx: RequestContext,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJsonText(ctx, code, JSON.stringify(body), headers);
}

export function sendJsonText(
  ctx: RequestContext,
  code: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  ctx.entry.status = code;
  if (ctx.dropAnswer) {
    ctx.req.socket.destroy();
    return;
  }
  ctx.res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...(ctx.warnings.length ? { Warning: ctx.warnings.map(warningHeader) } : {}),
    ...headers,
  });
  ctx.res.end(text);
}
