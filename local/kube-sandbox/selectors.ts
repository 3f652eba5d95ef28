import { errors } from './errors';
import type { ResourceType } from './resources';
import type { KubeObject } from './store';

/**
 * Label and field selectors with the grammar of k8s.io/apimachinery/pkg/labels and
 * .../fields. Both parse once per request into a predicate.
 */
export type Predicate = (obj: KubeObject) => boolean;

type LabelOp = 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function invalidKey(key: string): never {
  throw errors.badRequest(
    `unable to parse requirement: <nil>: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  );
}

function checkValue(value: string): string {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw errors.badRequest(
      `unable to parse requirement: <nil>: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  }
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function parseLabelRequirement(text: string, selector: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text);
  if (set) {
    const values = set[3].split(',').map((v) => v.trim());
    if (values.length === 1 && values[0] === '') {
      throw errors.badRequest(`unable to parse requirement: found ')', expected: identifier`);
    }
    return { key: set[1], op: set[2] as LabelOp, values: values.map(checkValue) };
  }
  const neg = /^!\s*(\S+)$/.exec(text);
  if (neg) return { key: neg[1], op: '!exists', values: [] };
  const cmp = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*([^=!<>\s]*)$/.exec(text);
  if (cmp) {
    const [, key, rawOp, value] = cmp;
    if (rawOp === '>' || rawOp === '<') {
      if (!/^-?\d+$/.test(value)) {
        throw errors.badRequest(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
      return { key, op: rawOp === '>' ? 'gt' : 'lt', values: [value] };
    }
    return { key, op: rawOp === '!=' ? '!=' : '=', values: [checkValue(value)] };
  }
  if (/^[^=!<>\s(),]+$/.test(text)) return { key: text, op: 'exists', values: [] };
  throw errors.badRequest(
    `unable to parse requirement: found '${text}', expected: in, notin, =, ==, !=, gt, lt in "${selector}"`,
  );
}

/** Parses a labelSelector query value; 400 BadRequest on bad syntax, as the API server answers. */
export function parseLabelSelector(selector: string | undefined): Predicate {
  if (!selector || !selector.trim()) return () => true;
  const requirements = splitTopLevel(selector).map((part) => {
    if (part === '') throw errors.badRequest(`unable to parse requirement: found '', expected: identifier`);
    const req = parseLabelRequirement(part, selector);
    if (req.key.length > 317 || !QUALIFIED_NAME.test(req.key)) invalidKey(req.key);
    return req;
  });
  return (obj) => requirements.every((r) => matchLabel(r, obj.metadata.labels ?? {}));
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as a predicate on labels. */
export function labelSelectorPredicate(selector: {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}): (labels: Record<string, string>) => boolean {
  const requirements: LabelRequirement[] = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, v]) => ({
      key,
      op: '=' as LabelOp,
      values: [v],
    })),
    ...(selector.matchExpressions ?? []).map((e) => ({
      key: e.key,
      op: (
        { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as Record<string, LabelOp>
      )[e.operator],
      values: e.values ?? [],
    })),
  ];
  return (labels) => requirements.every((r) => matchLabel(r, labels));
}

function matchLabel(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
    case 'in':
      return has && r.values.includes(value);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value);
    case 'gt':
      return has && /^-?\d+$/.test(value) && Number(value) > Number(r.values[0]);
    case 'lt':
      return has && /^-?\d+$/.test(value) && Number(value) < Number(r.values[0]);
  }
}

/**
 * Field labels whose value is not the field at their own path, or whose Go field is not a
 * pointer and so reads as its zero value when unset (the types' GetAttrs functions format
 * them with strconv): `spec.unschedulable=false` matches a node that never set it.
 */
const FIELD_LABEL_VALUES: Record<string, (obj: KubeObject) => string> = {
  source: (obj) => String((obj.source as { component?: string } | undefined)?.component ?? ''),
  'status.successful': (obj) => String((obj.status as { succeeded?: number } | undefined)?.succeeded ?? 0),
  'status.replicas': (obj) => String((obj.status as { replicas?: number } | undefined)?.replicas ?? 0),
  'spec.unschedulable': (obj) =>
    String((obj.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false),
  'spec.hostNetwork': (obj) =>
    String((obj.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork ?? false),
};

/** The value of a field label on an object, as the API server's field-label conversion gives it. */
function fieldValue(obj: KubeObject, path: string): string {
  const special = FIELD_LABEL_VALUES[path];
  if (special) return special(obj);
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null) return '';
  return String(current);
}

/**
 * Parses a fieldSelector for a resource type. Only the type's selectable fields are
 * accepted (400 "field label not supported" otherwise), with the operators `=`, `==`, `!=`.
 */
export function parseFieldSelector(t: ResourceType, selector: string | undefined): Predicate {
  if (!selector || !selector.trim()) return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(t.fieldLabels ?? [])]);
  const terms = selector.split(',').map((term) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field, op, value] = m;
    if (!allowed.has(field)) throw errors.badRequest(`field label not supported: ${field}`);
    return { field, negate: op === '!=', value: value.replace(/\\(.)/g, '$1') };
  });
  return (obj) => terms.every((term) => (fieldValue(obj, term.field) === term.value) !== term.negate);
}
