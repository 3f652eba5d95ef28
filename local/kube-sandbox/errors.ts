/**
 * API errors as a real kube-apiserver reports them: an HTTP code plus a `metav1.Status` body
 * whose `reason`, `message` and `details` clients (kubectl, client-node) rely on.
 */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `"deployments.apps"` or `"pods"`, as messages name a resource. */
export function qualifiedResource(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const errors = {
  notFound(plural: string, group: string, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualifiedResource(plural, group)} "${name}" not found`, {
      name,
      group: group || undefined,
      kind: plural,
    });
  },
  /** A URL that names no resource the server knows. */
  notFoundPath(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  alreadyExists(plural: string, group: string, name: string): ApiError {
    return new ApiError(
      409,
      'AlreadyExists',
      `${qualifiedResource(plural, group)} "${name}" already exists`,
      {
        name,
        group: group || undefined,
        kind: plural,
      },
    );
  },
  conflict(plural: string, group: string, name: string, why: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(plural, group)} "${name}": ${why}`,
      { name, group: group || undefined, kind: plural },
    );
  },
  invalid(
    kind: string,
    group: string,
    name: string,
    causes: Array<{ field: string; message: string; reason?: string }>,
  ): ApiError {
    const each = causes.map((c) => `${c.field}: ${c.message}`);
    // apimachinery's aggregate error brackets a list of more than one.
    const summary = each.length === 1 ? each[0] : `[${each.join(', ')}]`;
    return new ApiError(
      422,
      'Invalid',
      `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${summary}`,
      {
        name,
        group: group || undefined,
        kind,
        causes: causes.map((c) => ({
          reason: c.reason ?? 'FieldValueInvalid',
          message: c.message,
          field: c.field,
        })),
      },
    );
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json; received: ${contentType}`,
    );
  },
  methodNotAllowed(method: string): ApiError {
    return new ApiError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource (${method})`,
    );
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  tooManyRequests(retryAfterSeconds = 1): ApiError {
    return new ApiError(
      429,
      'TooManyRequests',
      'Too many requests, please try again later.',
      { retryAfterSeconds },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    });
  },
};
