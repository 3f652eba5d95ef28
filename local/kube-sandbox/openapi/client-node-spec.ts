/**
 * The sandbox's own Swagger 2.0 document: the definitions of the served kinds as
 * @kubernetes/client-node's models describe them (client-node-models.ts), and the paths the
 * sandbox serves for them, with the extensions kubectl reads (`x-kubernetes-action`,
 * `x-kubernetes-group-version-kind` on each operation; the `fieldValidation` parameter on
 * create, update and patch, which tells kubectl to leave validation to the server).
 *
 * PATCH operations list JSON patch and JSON merge patch only, although the sandbox applies
 * strategic merge patches too: the definitions carry no `x-kubernetes-patch-strategy`
 * (client-node does not keep it), and kubectl computes `apply` patches from an OpenAPI v3
 * document that lists strategic merge patch, where every list would then be replaced whole.
 * Without it, kubectl computes them from its own compiled-in types, as it does for a server
 * whose OpenAPI it cannot use.
 */
import type { ResourceType } from '../resources';
import { buildDefinitions, rootOf, type RootModel } from './client-node-models';
import type { Operation, Parameter, PathItem, Schema, SwaggerDocument } from './spec';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Query and path parameters shared by operations, described in the sandbox's words. */
const PARAMETERS: Record<string, Parameter> = {
  pretty: {
    name: 'pretty',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: "If 'true', the output is pretty printed.",
  },
  namespace: {
    name: 'namespace',
    in: 'path',
    required: true,
    type: 'string',
    uniqueItems: true,
    description: 'object name and auth scope, such as for teams and projects',
  },
  dryRun: {
    name: 'dryRun',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: 'When present (the only value is All), the request is processed but nothing is stored.',
  },
  fieldManager: {
    name: 'fieldManager',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: 'A name for the actor or entity making these changes.',
  },
  fieldValidation: {
    name: 'fieldValidation',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description:
      'What the server does with fields the type does not define: Ignore drops them silently, Warn (the default) drops them with a Warning header each, Strict fails the request with a BadRequest naming them.',
  },
  labelSelector: {
    name: 'labelSelector',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: 'A selector to restrict the list of returned objects by their labels.',
  },
  fieldSelector: {
    name: 'fieldSelector',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: 'A selector to restrict the list of returned objects by their fields.',
  },
  limit: {
    name: 'limit',
    in: 'query',
    type: 'integer',
    uniqueItems: true,
    description:
      'The maximum number of objects to return; the list metadata then carries a continue token when there are more.',
  },
  continue: {
    name: 'continue',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: 'The continue token of the previous page of a paginated list.',
  },
  resourceVersion: {
    name: 'resourceVersion',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: 'Which resource versions the request may be served from.',
  },
  resourceVersionMatch: {
    name: 'resourceVersionMatch',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: 'How resourceVersion is applied to list calls.',
  },
  watch: {
    name: 'watch',
    in: 'query',
    type: 'boolean',
    uniqueItems: true,
    description:
      'Watch for changes to the described resources and return them as a stream of add, update and remove notifications.',
  },
  allowWatchBookmarks: {
    name: 'allowWatchBookmarks',
    in: 'query',
    type: 'boolean',
    uniqueItems: true,
    description: 'Requests watch events with type BOOKMARK.',
  },
  sendInitialEvents: {
    name: 'sendInitialEvents',
    in: 'query',
    type: 'boolean',
    uniqueItems: true,
    description: 'With watch=true, start the stream with synthetic events for the current objects.',
  },
  timeoutSeconds: {
    name: 'timeoutSeconds',
    in: 'query',
    type: 'integer',
    uniqueItems: true,
    description: 'Timeout for the list/watch call.',
  },
  gracePeriodSeconds: {
    name: 'gracePeriodSeconds',
    in: 'query',
    type: 'integer',
    uniqueItems: true,
    description: 'The duration in seconds before the object should be deleted.',
  },
  propagationPolicy: {
    name: 'propagationPolicy',
    in: 'query',
    type: 'string',
    uniqueItems: true,
    description: "Whether and how garbage collection is performed: 'Orphan', 'Background' or 'Foreground'.",
  },
  orphanDependents: {
    name: 'orphanDependents',
    in: 'query',
    type: 'boolean',
    uniqueItems: true,
    description: 'Deprecated: use propagationPolicy.',
  },
};

const LIST_PARAMETERS = [
  'allowWatchBookmarks',
  'continue',
  'fieldSelector',
  'labelSelector',
  'limit',
  'resourceVersion',
  'resourceVersionMatch',
  'sendInitialEvents',
  'timeoutSeconds',
  'watch',
];
const WRITE_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation'];
const DELETE_PARAMETERS = ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy'];

const LOG_PARAMETERS: Parameter[] = [
  [
    'container',
    'string',
    'The container for which to stream logs; defaults to the only container of the pod.',
  ],
  ['follow', 'boolean', 'Follow the log stream of the pod.'],
  ['limitBytes', 'integer', 'The number of bytes to read from the server before terminating the log output.'],
  ['previous', 'boolean', 'Return the logs of the previous terminated container.'],
  ['sinceSeconds', 'integer', 'A relative time in seconds before the current time from which to show logs.'],
  ['tailLines', 'integer', 'The number of lines from the end of the logs to show.'],
  ['timestamps', 'boolean', 'Prefix every line of log output with an RFC3339 timestamp.'],
].map(([name, type, description]) => ({ name, in: 'query', type, uniqueItems: true, description }));

const ref = (p: string): Parameter => ({ $ref: `#/parameters/${p}` }) as Parameter;
const body = (schema: Schema): Parameter => ({ name: 'body', in: 'body', required: true, schema });
const definitionRef = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

/** `apps` → `Apps`, `rbac.authorization.k8s.io` → `RbacAuthorization`, core → `Core`, as operation ids spell groups. */
function groupWord(group: string): string {
  if (!group) return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

function groupVersionPath(t: ResourceType): string {
  return t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
}

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** The Swagger 2.0 document of `types`, from client-node's models. */
export function clientNodeSwagger(types: ResourceType[]): SwaggerDocument {
  const scale: Gvk = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  const eviction: Gvk = { group: 'policy', version: 'v1', kind: 'Eviction' };
  const roots: RootModel[] = [];
  for (const t of types) {
    roots.push(rootOf(t));
    if (!t.verbs || t.verbs.includes('list')) roots.push(rootOf({ ...t, kind: `${t.kind}List` }));
  }
  if (types.some((t) => t.subresources?.includes('scale'))) roots.push(rootOf(scale));
  if (types.some((t) => t.subresources?.includes('eviction'))) roots.push(rootOf(eviction));
  roots.push(
    { model: 'V1Status', group: '', version: 'v1' },
    { model: 'V1DeleteOptions', group: '', version: 'v1' },
  );
  const { definitions, definitionOf } = buildDefinitions(roots);
  definitions[`${META}.Patch`] = {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  };
  const kindRef = (gvk: Gvk): Schema => definitionRef(definitionOf(rootOf(gvk).model));
  const status = definitionRef(`${META}.Status`);

  const paths: SwaggerDocument['paths'] = {};
  for (const t of types) {
    const verbs = new Set(
      t.verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    );
    const gvk: Gvk = { group: t.group, version: t.version, kind: t.kind };
    const words = `${groupWord(t.group)}${t.version[0].toUpperCase()}${t.version.slice(1)}`;
    const tag = `${words[0].toLowerCase()}${groupWord(t.group).slice(1)}_${t.version}`;
    const scope = t.namespaced ? 'Namespaced' : '';
    const op = (
      action: string,
      id: string,
      description: string,
      extra: {
        parameters?: Parameter[];
        responses: Record<string, Schema | undefined>;
        consumes?: string[];
        gvk?: Gvk;
      },
    ): Operation => ({
      consumes: extra.consumes ?? ['*/*'],
      description,
      operationId: id,
      ...(extra.parameters?.length ? { parameters: extra.parameters } : {}),
      produces: ['application/json'],
      responses: {
        ...Object.fromEntries(
          Object.entries(extra.responses).map(([code, schema]) => [
            code,
            {
              description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK',
              ...(schema ? { schema } : {}),
            },
          ]),
        ),
        '401': { description: 'Unauthorized' },
      },
      schemes: ['https'],
      tags: [tag],
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': extra.gvk ?? gvk,
    });
    const self = kindRef(gvk);
    const list = verbs.has('list') ? kindRef({ ...gvk, kind: `${t.kind}List` }) : undefined;
    const base = groupVersionPath(t);
    const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.plural}` : `${base}/${t.plural}`;
    const scopeParameters = [...(t.namespaced ? [ref('namespace')] : []), ref('pretty')];

    const collectionItem: PathItem = { parameters: scopeParameters };
    if (verbs.has('list'))
      collectionItem.get = op(
        'list',
        `list${words}${scope}${t.kind}`,
        `list or watch objects of kind ${t.kind}`,
        {
          parameters: LIST_PARAMETERS.map(ref),
          responses: { '200': list },
        },
      );
    if (verbs.has('create'))
      collectionItem.post = op('post', `create${words}${scope}${t.kind}`, `create a ${t.kind}`, {
        parameters: [body(self), ...WRITE_PARAMETERS.map(ref)],
        responses: { '200': self, '201': self, '202': self },
      });
    if (verbs.has('deletecollection'))
      collectionItem.delete = op(
        'deletecollection',
        `deleteCollection${words}${scope}${t.kind}`,
        `delete collection of ${t.kind}`,
        {
          parameters: [
            body(definitionRef(`${META}.DeleteOptions`)),
            ...[...DELETE_PARAMETERS, ...LIST_PARAMETERS].map(ref),
          ],
          responses: { '200': status },
        },
      );
    paths[collection] = collectionItem;

    if (t.namespaced && verbs.has('list')) {
      paths[`${base}/${t.plural}`] = {
        get: op('list', `list${words}${t.kind}ForAllNamespaces`, `list or watch objects of kind ${t.kind}`, {
          responses: { '200': list },
        }),
        parameters: [...LIST_PARAMETERS, 'pretty'].map(ref),
      };
    }
    if (!verbs.has('get')) continue;

    const name = (of: string): Parameter => ({
      name: 'name',
      in: 'path',
      required: true,
      type: 'string',
      uniqueItems: true,
      description: `name of the ${of}`,
    });
    const itemParameters = [name(t.kind), ...scopeParameters];
    const readWrite = (sub: string, subject: Gvk, schema: Schema, what: string): PathItem => ({
      get: op('get', `read${words}${scope}${t.kind}${sub}`, `read ${what}`, {
        responses: { '200': schema },
        gvk: subject,
      }),
      put: op('put', `replace${words}${scope}${t.kind}${sub}`, `replace ${what}`, {
        parameters: [body(schema), ...WRITE_PARAMETERS.map(ref)],
        responses: { '200': schema, '201': schema },
        gvk: subject,
      }),
      patch: op('patch', `patch${words}${scope}${t.kind}${sub}`, `partially update ${what}`, {
        parameters: [body(definitionRef(`${META}.Patch`)), ...WRITE_PARAMETERS.map(ref)],
        responses: { '200': schema, '201': schema },
        consumes: ['application/json-patch+json', 'application/merge-patch+json'],
        gvk: subject,
      }),
      parameters: itemParameters,
    });
    paths[`${collection}/{name}`] = {
      ...readWrite('', gvk, self, `the specified ${t.kind}`),
      delete: op('delete', `delete${words}${scope}${t.kind}`, `delete a ${t.kind}`, {
        parameters: [body(definitionRef(`${META}.DeleteOptions`)), ...DELETE_PARAMETERS.map(ref)],
        responses: { '200': status, '202': status },
      }),
    };
    for (const sub of t.subresources ?? []) {
      const path = `${collection}/{name}/${sub}`;
      if (sub === 'status') paths[path] = readWrite('Status', gvk, self, `status of the specified ${t.kind}`);
      if (sub === 'scale')
        paths[path] = readWrite('Scale', scale, kindRef(scale), `scale of the specified ${t.kind}`);
      if (sub === 'eviction')
        paths[path] = {
          post: op('post', `create${words}${scope}${t.kind}Eviction`, `create eviction of a ${t.kind}`, {
            parameters: [body(kindRef(eviction)), ...WRITE_PARAMETERS.map(ref)],
            responses: { '200': kindRef(eviction), '201': kindRef(eviction), '202': kindRef(eviction) },
            gvk: eviction,
          }),
          parameters: [name('Eviction'), ...scopeParameters],
        };
      if (sub === 'log')
        paths[path] = {
          get: op('get', `read${words}${scope}${t.kind}Log`, `read log of the specified ${t.kind}`, {
            parameters: LOG_PARAMETERS,
            responses: { '200': { type: 'string' } },
          }),
          parameters: itemParameters,
        };
    }
  }

  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    definitions,
    parameters: PARAMETERS,
    securityDefinitions: {
      BearerToken: {
        description: 'Bearer Token authentication',
        in: 'header',
        name: 'authorization',
        type: 'apiKey',
      },
    },
    security: [{ BearerToken: [] }],
  };
}
