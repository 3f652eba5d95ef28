import { parseAllDocuments } from 'yaml';
import { RBAC_RULES, rbacAllows, rbacManifest, type RbacVerb } from '../../../lambdas/shared/rbac';

interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string }>;
}

describe('rbacManifest', () => {
  it('grants the read rules cluster-wide and the write rules only in the allowed namespaces', () => {
    // Act
    const objects = parseAllDocuments(rbacManifest('eks-incident-response', ['apps', 'data'])).map(
      (document) => document.toJS() as RbacObject,
    );

    // Assess
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'ClusterRole//eks-incident-response-read',
      'ClusterRoleBinding//eks-incident-response-read',
      'ClusterRole//eks-incident-response-remediate',
      'RoleBinding/apps/eks-incident-response-remediate',
      'RoleBinding/data/eks-incident-response-remediate',
    ]);
    const [read, readBinding, remediate, appsBinding] = objects;
    expect(new Set(read.rules?.flatMap((r) => r.verbs))).toEqual(new Set(['get', 'list', 'watch']));
    expect(read.rules).toContainEqual({ apiGroups: [''], resources: ['secrets'], verbs: ['list'] });
    expect(read.rules).toContainEqual({
      apiGroups: ['apps'],
      resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'controllerrevisions'],
      verbs: ['get', 'list', 'watch'],
    });
    expect(remediate.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['patch'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update'],
      },
    ]);
    for (const binding of [readBinding, appsBinding]) {
      expect(binding.subjects).toEqual([
        { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'eks-incident-response' },
      ]);
    }
    expect(appsBinding.roleRef).toMatchObject({
      kind: 'ClusterRole',
      name: 'eks-incident-response-remediate',
    });
  });

  it('renders every rule of RBAC_RULES exactly once', () => {
    // Act
    const objects = parseAllDocuments(rbacManifest('g', ['apps'], ['backup-restore-test'])).map(
      (d) => d.toJS() as RbacObject,
    );

    // Assess
    const rendered = objects
      .filter((o) => o.kind === 'ClusterRole')
      .flatMap((o) => o.rules ?? [])
      .flatMap((r) => r.resources.map((resource) => `${r.apiGroups[0]}|${resource}|${r.verbs.join(',')}`));
    expect(rendered.sort()).toEqual(
      RBAC_RULES.map((rule) => `${rule.apiGroup}|${rule.resource}|${rule.verbs.join(',')}`).sort(),
    );
  });

  it('creates the scratch namespaces and grants Job create and delete there only', () => {
    // Act
    const objects = parseAllDocuments(
      rbacManifest('eks-incident-response', ['apps'], ['backup-restore-test']),
    ).map((document) => document.toJS() as RbacObject);

    // Assess
    expect(objects.slice(4).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual(
      [
        'ClusterRole//eks-incident-response-restore-test',
        'Namespace//backup-restore-test',
        'RoleBinding/backup-restore-test/eks-incident-response-restore-test',
      ],
    );
    expect(objects[4].rules).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete'] },
    ]);
    expect(objects[6]).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'eks-incident-response-restore-test' },
      subjects: [{ kind: 'Group', name: 'eks-incident-response' }],
    });
    expect(objects.filter((o) => o.kind === 'ClusterRoleBinding').map((o) => o.roleRef?.name)).toEqual([
      'eks-incident-response-read',
    ]);
  });

  it.each([['system:masters'], ['eks:admins'], ['Upper'], ['']])('refuses the group name %j', (group) => {
    // Act + Assess
    expect(() => rbacManifest(group, ['apps'])).toThrow('invalid Kubernetes group name');
  });

  it('refuses an empty namespace list', () => {
    // Act + Assess
    expect(() => rbacManifest('g', [])).toThrow('at least one allowed namespace');
  });
});

describe('rbacAllows', () => {
  it('allows reads anywhere and writes only in allowed namespaces', () => {
    // Prepare
    const allowed = ['apps'];

    // Act + Assess
    expect(rbacAllows({ apiGroup: '', resource: 'pods/log', verb: 'get', namespace: 'other' }, allowed)).toBe(
      true,
    );
    expect(rbacAllows({ apiGroup: '', resource: 'nodes', verb: 'list' }, allowed)).toBe(true);
    expect(
      rbacAllows({ apiGroup: 'apps', resource: 'deployments', verb: 'patch', namespace: 'apps' }, allowed),
    ).toBe(true);
    expect(
      rbacAllows({ apiGroup: 'apps', resource: 'deployments', verb: 'patch', namespace: 'other' }, allowed),
    ).toBe(false);
    expect(rbacAllows({ apiGroup: 'apps', resource: 'deployments', verb: 'patch' }, allowed)).toBe(false);
    expect(rbacAllows({ apiGroup: '', resource: 'pods', verb: 'delete', namespace: 'apps' }, allowed)).toBe(
      false,
    );
    expect(
      rbacAllows(
        { apiGroup: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: 'apps' },
        allowed,
      ),
    ).toBe(true);
  });

  it('allows Job create and delete only in the scratch namespaces, never in the allowed ones', () => {
    // Prepare
    const job = (verb: RbacVerb, namespace?: string) => ({
      apiGroup: 'batch',
      resource: 'jobs',
      verb,
      namespace,
    });

    // Act + Assess
    expect(rbacAllows(job('create', 'backup-restore-test'), ['apps'], ['backup-restore-test'])).toBe(true);
    expect(rbacAllows(job('delete', 'backup-restore-test'), ['apps'], ['backup-restore-test'])).toBe(true);
    expect(rbacAllows(job('create', 'apps'), ['apps'], ['backup-restore-test'])).toBe(false);
    expect(rbacAllows(job('create', 'backup-restore-test'), ['apps'])).toBe(false);
    expect(rbacAllows(job('delete'), ['apps'], ['backup-restore-test'])).toBe(false);
    expect(rbacAllows(job('get', 'one-data-infra'), ['apps'])).toBe(true);
  });
});
