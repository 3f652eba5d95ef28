import { goTypeError } from '../../../local/kube-sandbox/admission/go-json-types';
import type { Schema } from '../../../local/kube-sandbox/openapi/spec';

// Go's encoding/json errors for a value of the wrong type, as the API server's decoder words
// them (the struct holding the field, the field's path, the Go type of the field).
describe("Go's JSON type errors", () => {
  const field = { struct: 'ObjectMeta', path: 'metadata.labels' };
  const labels: Schema = { type: 'object', additionalProperties: { type: 'string' } };
  const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

  it.each<[string, unknown, Schema, Schema, string | undefined]>([
    [
      'a map given as a list',
      ['a'],
      labels,
      labels,
      'array into Go struct field ObjectMeta.metadata.labels of type map[string]string',
    ],
    [
      'a struct given as a number',
      3,
      ref('io.k8s.api.core.v1.PodSpec'),
      { type: 'object', properties: {} },
      'number into Go struct field ObjectMeta.metadata.labels of type v1.PodSpec',
    ],
    [
      'an int32 that overflows',
      3000000000,
      { type: 'integer', format: 'int32' },
      { type: 'integer', format: 'int32' },
      'number 3000000000 into Go struct field ObjectMeta.metadata.labels of type int32',
    ],
    [
      'a bool given as a string',
      'true',
      { type: 'boolean' },
      { type: 'boolean' },
      'string into Go struct field ObjectMeta.metadata.labels of type bool',
    ],
    [
      'an int64 that fits',
      3000000000,
      { type: 'integer', format: 'int64' },
      { type: 'integer', format: 'int64' },
      undefined,
    ],
    ['null anywhere', null, { type: 'string' }, { type: 'string' }, undefined],
    [
      'a number for a Quantity',
      1,
      ref('io.k8s.apimachinery.pkg.api.resource.Quantity'),
      { type: 'string' },
      undefined,
    ],
    [
      'a string for an IntOrString',
      'http',
      ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString'),
      { type: 'string', format: 'int-or-string' },
      undefined,
    ],
    ['anything for raw JSON', [1], { type: 'object' }, { type: 'object' }, undefined],
  ])('%s', (_what, value, schema, resolved, error) => {
    expect(goTypeError(value, schema, resolved, field)).toBe(error && `json: cannot unmarshal ${error}`);
  });
});
