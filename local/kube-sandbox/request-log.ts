/** One API request as the sandbox saw it: what tests count ("zero write requests"). */
export interface RecordedRequest {
  /** Wall-clock ms since epoch. */
  at: number;
  method: string;
  path: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; `discovery` otherwise. */
  verb: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  status: number;
  userAgent?: string;
  dryRun: boolean;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export class RequestLog {
  private entries: RecordedRequest[] = [];

  record(entry: RecordedRequest): void {
    this.entries.push(entry);
  }

  all(): RecordedRequest[] {
    return [...this.entries];
  }

  /** Requests that change (or, with dryRun, would change) cluster state. */
  writes(): RecordedRequest[] {
    return this.entries.filter((e) => WRITE_VERBS.has(e.verb));
  }

  clear(): void {
    this.entries = [];
  }
}
