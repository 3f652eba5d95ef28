import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessControl } from '../authorization/access-control';
import type { SandboxClock } from '../clock';
import type { FaultInjector } from '../faults';
import type { RecordedRequest, RequestLog } from '../request-log';
import type { ResourceType } from '../resources';
import type { LogStore } from '../runtime';
import type { ObjectStore } from '../store';

export interface ApiServerDeps {
  store: ObjectStore;
  clock: SandboxClock;
  logs: LogStore;
  faults: FaultInjector;
  requests: RequestLog;
  token?: string;
  /** Authentication (tokens, impersonation) and authorization (RBAC or allow-all). */
  access: AccessControl;
}

/** The largest request body the API server accepts (its default is 3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

export interface ResourceRoute {
  t: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  deps: ApiServerDeps;
  entry: RecordedRequest;
  /** `Warning` headers for the response (dropped unknown fields). */
  warnings: string[];
  /** A `dropAnswer` fault: handle the request, then cut the connection instead of answering. */
  dropAnswer?: boolean;
}
