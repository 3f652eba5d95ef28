/**
 * ValidateObjectMeta's checks of labels and annotations (apimachinery's ValidateLabels and
 * ValidateAnnotations), worded as the API server words them: keys are qualified names
 * (an optional DNS subdomain prefix and `/`, then a name part), label values are empty or
 * a name part, and all annotations together are at most 256 KiB.
 */
import type { KubeObject } from '../store';
import { invalid, isDns1123Subdomain, maxLengthError, regexError } from './fields';
import type { FieldCause } from './types';

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const NAME_PART_MAX = 63;
const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

const CHARACTERS_RULE =
  "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const NAME_PART_RULE = `must ${CHARACTERS_RULE}`;

/** validation.IsQualifiedName: the problems with `value`, empty when it is valid. */
export function isQualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name: string;
  const problems: string[] = [];
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else problems.push(...isDns1123Subdomain(prefix).map((p) => `prefix part ${p}`));
  } else {
    return [
      `${regexError(`a qualified name ${NAME_PART_RULE}`, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > NAME_PART_MAX) problems.push(`name part ${maxLengthError(NAME_PART_MAX)}`);
  if (!QUALIFIED_NAME.test(name)) {
    problems.push(
      regexError(`name part ${NAME_PART_RULE}`, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc'),
    );
  }
  return problems;
}

/** validation.IsValidLabelValue. */
export function isValidLabelValue(value: string): string[] {
  const problems: string[] = [];
  if (value.length > NAME_PART_MAX) problems.push(maxLengthError(NAME_PART_MAX));
  if (!LABEL_VALUE.test(value)) {
    problems.push(
      regexError(
        `a valid label must be an empty string or ${CHARACTERS_RULE}`,
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return problems;
}

/** The label errors of a label map at `field` (metadata.labels, spec.template.metadata.labels). */
export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const problem of isQualifiedName(key)) causes.push(invalid(field, key, problem));
    for (const problem of isValidLabelValue(String(value)))
      causes.push(invalid(field, String(value), problem));
  }
  return causes;
}

/** The annotation errors: keys are qualified names (checked lower-cased), the total is bounded. */
export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  field: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    for (const problem of isQualifiedName(key.toLowerCase())) causes.push(invalid(field, key, problem));
    size += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
    causes.push({
      field,
      message: `Too long: may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT_BYTES} bytes`,
      reason: 'FieldValueTooLong',
    });
  }
  return causes;
}

/** The metadata checks every type gets, on create and update. */
export function validateMetadata(obj: KubeObject): FieldCause[] {
  return [
    ...validateLabels(obj.metadata.labels, 'metadata.labels'),
    ...validateAnnotations(obj.metadata.annotations, 'metadata.annotations'),
  ];
}
