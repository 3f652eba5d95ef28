import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { redactObject, redactText } from '../redact';

/** How deep an attribute is searched for errors to format before redaction (attributes are small). */
const MAX_DEPTH = 8;

/**
 * Powertools' standard keys (so its documented Logs Insights queries work) with everything a
 * caller passed redacted by the rules the evidence follows (redact.ts): a function's log is
 * read as widely as the evidence, and an error message or a Kubernetes answer may quote a
 * credential. Redaction happens here rather than in a JSON replacer because errors must first
 * become plain objects (their message, their cause, the fields an API error carries) to be
 * redacted at all; the keys the runtime fills in (request id, trace id) are left as they are.
 */
export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    const standard: LogAttributes = {
      level: attributes.logLevel,
      message: redactText(attributes.message ?? ''),
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: context?.coldStart,
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      xray_trace_id: attributes.xRayTraceId,
    };
    return new LogItem({ attributes: standard }).addAttributes(
      redactObject(this.withPlainErrors(additional, 0) as LogAttributes),
    );
  }

  private withPlainErrors(value: unknown, depth: number): unknown {
    if (value instanceof Error) return this.withPlainErrors(this.formatError(value), depth + 1);
    if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return value.map((item) => this.withPlainErrors(item, depth + 1));
    if (Object.getPrototypeOf(value) !== Object.prototype) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, this.withPlainErrors(item, depth + 1)]),
    );
  }
}
