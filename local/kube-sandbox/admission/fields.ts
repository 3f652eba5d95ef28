import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { KubeObject, Writable } from '../store';
import type { FieldCause, NameRule } from './types';

/*
 * Field errors worded as k8s.io/apimachinery/pkg/util/validation/field words them, and the
 * DNS name checks of .../util/validation. Clients and people match on these exact strings, so
 * values are printed the way Go's field.Error prints them: strings with %q, numbers and
 * booleans bare, nil as null, maps and structs with %#v.
 */

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const PERCENT_FMT = '[0-9]+%';

const DNS1123_LABEL = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1035_LABEL = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const PERCENT = new RegExp(`^${PERCENT_FMT}$`);

/** validation.RegexError: the rule, its examples, and the regex it was checked with. */
export function regexError(message: string, format: string, ...examples: string[]): string {
  const shown = examples.map((e) => `'${e}', `).join(' or ');
  return `${message} (${examples.length ? `e.g. ${shown}` : ''}regex used for validation is '${format}')`;
}

export function maxLengthError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** validation.IsDNS1123Label: the problems with `value`, empty when it is a valid label. */
export function isDns1123Label(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push(maxLengthError(63));
  if (!DNS1123_LABEL.test(value)) {
    problems.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        DNS1123_LABEL_FMT,
        'my-name',
        '123-abc',
      ),
    );
  }
  return problems;
}

/** validation.IsDNS1123Subdomain. */
export function isDns1123Subdomain(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 253) problems.push(maxLengthError(253));
  if (!DNS1123_SUBDOMAIN.test(value)) {
    problems.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  }
  return problems;
}

/** validation.IsDNS1035Label. */
export function isDns1035Label(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push(maxLengthError(63));
  if (!DNS1035_LABEL.test(value)) {
    problems.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  }
  return problems;
}

const NAME_CHECKS: Record<Exclude<NameRule, 'none'>, (value: string) => string[]> = {
  subdomain: isDns1123Subdomain,
  label: isDns1123Label,
  'dns1035-label': isDns1035Label,
};

/**
 * Go's name functions (NameIsDNSSubdomain and friends). A generateName prefix may end in '-',
 * which they hide the way apimachinery's maskTrailingDash does.
 */
function nameProblems(rule: NameRule, value: string, prefix: boolean): string[] {
  if (rule === 'none') return [];
  const masked = prefix && value.length > 1 && value.endsWith('-') ? `${value.slice(0, -2)}a` : value;
  return NAME_CHECKS[rule](masked);
}

/**
 * The name checks of ValidateObjectMeta on create: generateName and name against the type's
 * rule, a name required, and an extra length limit some types add (a CronJob's 52 characters).
 */
export function validateObjectName(obj: KubeObject, rule: NameRule, maxLength?: number): FieldCause[] {
  const { name, generateName } = obj.metadata;
  const causes: FieldCause[] = [];
  if (generateName) {
    for (const problem of nameProblems(rule, generateName, true)) {
      causes.push(invalid('metadata.generateName', generateName, problem));
    }
  }
  if (!name) return [...causes, required('metadata.name', 'name or generateName is required')];
  for (const problem of nameProblems(rule, name, false)) causes.push(invalid('metadata.name', name, problem));
  if (maxLength !== undefined && name.length > maxLength) {
    causes.push(invalid('metadata.name', name, maxLengthError(maxLength)));
  }
  return causes;
}

/* ---------------------------------------------------------------- Go values */

/** A value already printed in Go syntax (`%#v` of a map or struct), shown as it is. */
export class GoSyntax {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export type FieldValue = string | number | boolean | null | undefined | GoSyntax;

/** Go's %q of a string. */
export function goString(value: string): string {
  return JSON.stringify(value);
}

/** A value as field.Error prints it. */
export function goValue(value: FieldValue): string {
  if (value instanceof GoSyntax) return value.text;
  if (value === null || value === undefined) return 'null';
  return typeof value === 'string' ? goString(value) : String(value);
}

/** `%#v` of a map[string]string: keys sorted, as fmt prints maps. */
export function goStringMap(map: Record<string, string> | undefined): GoSyntax {
  if (!map) return new GoSyntax('map[string]string(nil)');
  const entries = Object.keys(map)
    .sort()
    .map((k) => `${goString(k)}:${goString(map[k])}`);
  return new GoSyntax(`map[string]string{${entries.join(', ')}}`);
}

function goStringSlice(values: readonly string[] | undefined): string {
  return values ? `[]string{${values.map(goString).join(', ')}}` : '[]string(nil)';
}

/** `%#v` of a *metav1.LabelSelector (nil prints as null). */
export function goLabelSelector(selector: Writable<LabelSelector> | undefined): GoSyntax | null {
  if (!selector) return null;
  const expressions = selector.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${selector.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${goString(e.key)}, Operator:${goString(e.operator)}, Values:${goStringSlice(e.values)}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoSyntax(
    `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels)}, MatchExpressions:${expressions}}`,
  );
}

/** `%#v` of an intstr.IntOrString. */
export function goIntOrString(value: number | string | undefined): GoSyntax {
  if (typeof value === 'string')
    return new GoSyntax(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goString(value)}}`);
  return new GoSyntax(`intstr.IntOrString{Type:0, IntVal:${value ?? 0}, StrVal:""}`);
}

/* ---------------------------------------------------------------- causes */

export function invalid(field: string, value: FieldValue, detail: string): FieldCause {
  return { field, message: `Invalid value: ${goValue(value)}: ${detail}`, reason: 'FieldValueInvalid' };
}

export function required(field: string, detail = ''): FieldCause {
  return { field, message: `Required value${detail ? `: ${detail}` : ''}`, reason: 'FieldValueRequired' };
}

export function notSupported(field: string, value: FieldValue, supported: readonly string[]): FieldCause {
  return {
    field,
    message: `Unsupported value: ${goValue(value)}: supported values: ${supported.map(goString).join(', ')}`,
    reason: 'FieldValueNotSupported',
  };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { field, message: `Forbidden: ${detail}`, reason: 'FieldValueForbidden' };
}

export function duplicate(field: string, value: FieldValue): FieldCause {
  return { field, message: `Duplicate value: ${goValue(value)}`, reason: 'FieldValueDuplicate' };
}

export function notFound(field: string, value: FieldValue): FieldCause {
  return { field, message: `Not found: ${goValue(value)}`, reason: 'FieldValueNotFound' };
}

export function nonNegative(value: number | null | undefined, field: string): FieldCause[] {
  if (value === undefined || value === null || value >= 0) return [];
  return [invalid(field, value, 'must be greater than or equal to 0')];
}

/** The number of a percent string (`25%` is 25), undefined for anything else. */
export function percentValue(value: number | string | undefined): number | undefined {
  return typeof value === 'string' && PERCENT.test(value) ? Number(value.slice(0, -1)) : undefined;
}

/** ValidatePositiveIntOrPercent: a non-negative number or a percent string. */
export function validateIntOrPercent(value: number | string | undefined, field: string): FieldCause[] {
  if (typeof value !== 'string') return nonNegative(value, field);
  if (PERCENT.test(value)) return [];
  return [
    invalid(
      field,
      goIntOrString(value),
      regexError(
        "a valid percent string must be a numeric string followed by an ending '%'",
        PERCENT_FMT,
        '1%',
        '93%',
      ),
    ),
  ];
}
