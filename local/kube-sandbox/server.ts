import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxClock } from './clock';
import type { FaultInjector } from './faults';
import type { RequestLog } from './request-log';
import type { LogStore } from './runtime';
import type { ObjectStore } from './store';

export interface ApiServerDeps {
  store: ObjectStore;
  clock: SandboxClock;
  logs: LogStore;
  faults: FaultInjector;
  requests: RequestLog;
  token?: string;
}

// In progress: the HTTP API (discovery, verbs, selectors, patch, watch) lands next.
export function createApiHandler(_deps: ApiServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(501);
    res.end();
  };
}
