import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { clientNodeSwagger } from '../../../local/kube-sandbox/openapi/client-node-spec';
import type * as SpecModule from '../../../local/kube-sandbox/openapi/spec';
import type { Operation } from '../../../local/kube-sandbox/openapi/spec';
import { RESOURCE_TYPES } from '../../../local/kube-sandbox/resources';

// The OpenAPI source the sandbox serves and validates with: built from client-node's models,
// or the operator's copy of the published spec (SANDBOX_OPENAPI_SPEC).
describe('the OpenAPI document built from @kubernetes/client-node', () => {
  const doc = clientNodeSwagger(RESOURCE_TYPES);
  const definitions = doc.definitions;

  it('names each definition after the Go package that defines it', () => {
    // core types other groups embed stay core's; a kind two groups share keeps its group
    expect(definitions['io.k8s.api.core.v1.PodTemplateSpec']).toBeDefined();
    expect(definitions['io.k8s.api.apps.v1.PodTemplateSpec']).toBeUndefined();
    expect(definitions['io.k8s.api.core.v1.ObjectReference']).toBeDefined();
    expect(definitions['io.k8s.api.events.v1.EventSeries']).toBeDefined();
    expect(definitions['io.k8s.api.core.v1.EventSeries']).toBeDefined();
    expect(definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
    expect(definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry']).toBeDefined();
  });

  it('carries the kinds, required fields, formats and descriptions client-node keeps', () => {
    expect(definitions['io.k8s.api.events.v1.Event']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'events.k8s.io', kind: 'Event', version: 'v1' },
    ]);
    expect(definitions['io.k8s.api.core.v1.PodSpec'].required).toEqual(['containers']);
    expect(definitions['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(definitions['io.k8s.api.core.v1.Secret'].properties?.data).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string', format: 'byte' },
    });
    expect(definitions['io.k8s.api.coordination.v1.LeaseSpec'].properties?.renewTime.$ref).toBe(
      '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
    );
    expect(definitions['io.k8s.api.core.v1.PodStatus'].properties?.startTime.$ref).toBe(
      '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time',
    );
    expect(definitions['io.k8s.api.apps.v1.DeploymentSpec'].properties?.replicas).toMatchObject({
      type: 'integer',
      format: 'int32',
      description: expect.stringContaining('Number of desired pods.'),
    });
    // A field referring to another type carries that type's description.
    expect(definitions['io.k8s.api.apps.v1.Deployment'].properties?.spec.description).toBe(
      'DeploymentSpec is the specification of the desired behavior of the Deployment.',
    );
  });

  it('PATCH takes fieldValidation and offers JSON and merge patches, not strategic merge', () => {
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch as Operation;

    expect(patch.consumes).toEqual(['application/json-patch+json', 'application/merge-patch+json']);
    expect(patch.parameters?.map((p) => p.$ref)).toContain('#/parameters/fieldValidation');
    expect(patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/namespaces/{namespace}/pods/{name}/eviction',
        '/api/v1/namespaces/{namespace}/pods/{name}/log',
        '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      ]),
    );
  });
});

describe('SANDBOX_OPENAPI_SPEC', () => {
  it("replaces the built document with the operator's (gzipped) copy", () => {
    // Prepare: a one-type document, as a published spec is shaped
    const dir = mkdtempSync(join(tmpdir(), 'openapi-source-'));
    const file = join(dir, 'swagger.json.gz');
    writeFileSync(
      file,
      gzipSync(
        JSON.stringify({
          swagger: '2.0',
          info: { title: 'Kubernetes', version: 'v1.32.0' },
          paths: {
            '/api/v1/namespaces/{namespace}/configmaps/{name}': {
              get: {
                responses: { '200': { schema: { $ref: '#/definitions/io.k8s.api.core.v1.ConfigMap' } } },
              },
            },
          },
          definitions: {
            'io.k8s.api.core.v1.ConfigMap': {
              type: 'object',
              properties: { data: { type: 'object' } },
              'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'ConfigMap' }],
            },
          },
          parameters: {},
        }),
      ),
    );
    const previous = process.env.SANDBOX_OPENAPI_SPEC;
    process.env.SANDBOX_OPENAPI_SPEC = file;
    try {
      // Act
      let spec: typeof SpecModule | undefined;
      jest.isolateModules(() => {
        spec = jest.requireActual<typeof SpecModule>('../../../local/kube-sandbox/openapi/spec');
      });
      const v2 = JSON.parse(spec!.openApiV2Json()) as { info: { version: string }; definitions: object };

      // Assess
      expect(v2.info.version).toBe('v1.32.0');
      expect(Object.keys(v2.definitions)).toEqual(['io.k8s.api.core.v1.ConfigMap']);
      expect(spec!.definitionNameOf(RESOURCE_TYPES.find((t) => t.kind === 'ConfigMap')!)).toBe(
        'io.k8s.api.core.v1.ConfigMap',
      );
    } finally {
      if (previous === undefined) delete process.env.SANDBOX_OPENAPI_SPEC;
      else process.env.SANDBOX_OPENAPI_SPEC = previous;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
