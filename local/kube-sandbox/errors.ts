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
  /** What RBAC answers when no rule allows `user` to `verb` the resource (`pods/log` for a subresource). */
  forbidden(
    user: string,
    verb: string,
    target: { plural: string; group: string; subresource?: string; namespace?: string; name?: string },
  ): ApiError {
    const { plural, group, subresource, namespace, name } = target;
    const resource = subresource ? `${plural}/${subresource}` : plural;
    const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
    const why = `User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`;
    const qualified = qualifiedResource(plural, group);
    return new ApiError(
      403,
      'Forbidden',
      `${name ? `${qualified} "${name}"` : qualified} is forbidden: ${why}`,
      {
        name: name || undefined,
        group: group || undefined,
        kind: plural,
      },
    );
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  requestEntityTooLarge(limitBytes: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`);
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
  /** 503, or another 5xx a proxy in front of the API server answers with when it cannot reach it. */
  serviceUnavailable(code = 503): ApiError {
    return new ApiError(code, 'ServiceUnavailable', 'the server is currently unable to handle the request');
  },
  /** What the API server's request-timeout filter answers. */
  timeout(): ApiError {
    return new ApiError(
      504,
      'Timeout',
      'Timeout: request did not complete within requested timeout - context deadline exceeded',
      {},
    );
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    });
  },
};
