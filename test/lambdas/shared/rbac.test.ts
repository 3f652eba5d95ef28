import { parseAllDocuments } from 'yaml';
import {
  KUBERNETES_STEPS,
  stepGroup,
  type KubernetesStep,
} from '../../../lambdas/shared/kubernetes/step-access';
import {
  RBAC_RULES,
  rbacAllows,
  rbacManifest,
  stepRbacRules,
  type RbacVerb,
} from '../../../lambdas/shared/rbac';

interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string }>;
}

const PREFIX = 'eks-incident-response';

function objectsOf(manifest: string): RbacObject[] {
  return parseAllDocuments(manifest).map((document) => document.toJS() as RbacObject);
}

/** Every `verb group/resource` a step's group is granted, with where. */
function grants(step: KubernetesStep): string[] {
  return stepRbacRules(step).flatMap((rule) =>
    rule.verbs.map((verb) => `${verb} ${rule.apiGroup || 'core'}/${rule.resource} ${rule.scope}`),
  );
}

/** The steps whose group is granted `verb` on `resource`. */
function stepsGranted(verb: RbacVerb, apiGroup: string, resource: string): KubernetesStep[] {
  return KUBERNETES_STEPS.filter((step) =>
    stepRbacRules(step).some(
      (rule) => rule.apiGroup === apiGroup && rule.resource === resource && rule.verbs.includes(verb),
    ),
  );
}

describe('rbacManifest', () => {
  it('binds one group per step: its reads cluster-wide, its writes only in the allowed namespaces', () => {
    // Act
    const objects = objectsOf(rbacManifest(PREFIX, ['apps', 'data']));

    // Assess
    const clusterBindings = objects.filter((o) => o.kind === 'ClusterRoleBinding');
    expect(clusterBindings.map((b) => b.subjects)).toEqual(
      KUBERNETES_STEPS.map((step) => [
        { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: stepGroup(PREFIX, step) },
      ]),
    );
    expect(clusterBindings.map((b) => b.roleRef?.name)).toEqual(
      KUBERNETES_STEPS.map((step) => `${PREFIX}-${step}-read`),
    );
    const roleBindings = objects.filter((o) => o.kind === 'RoleBinding');
    expect(roleBindings.map((b) => `${b.metadata.namespace}/${b.subjects?.[0].name}`)).toEqual(
      ['guard', 'restart', 'verify', 'rollback'].flatMap((step) => [
        `apps/${PREFIX}:${step}`,
        `data/${PREFIX}:${step}`,
      ]),
    );
    const writes = objects
      .filter((o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith('-read'))
      .flatMap((o) => o.rules ?? [])
      .flatMap((r) => r.verbs)
      .filter((verb) => !['get', 'list', 'watch'].includes(verb));
    expect(writes).toEqual([]);
    const restart = objects.find((o) => o.metadata.name === `${PREFIX}-restart-allowed-namespaces`);
    expect(restart?.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'] },
    ]);
  });

  it("renders each step's rules exactly once, and nothing outside the catalog", () => {
    // Act
    const objects = objectsOf(rbacManifest('g', ['apps'], ['backup-restore-test']));

    // Assess
    for (const step of KUBERNETES_STEPS) {
      const rendered = objects
        .filter((o) => o.kind === 'ClusterRole' && o.metadata.name.startsWith(`g-${step}-`))
        .filter(
          (o) =>
            !KUBERNETES_STEPS.some((other) => other !== step && o.metadata.name.startsWith(`g-${other}-`)),
        )
        .flatMap((o) => o.rules ?? [])
        .flatMap((r) => r.resources.map((resource) => `${r.apiGroups[0]}|${resource}|${r.verbs.join(',')}`));
      expect({ step, rendered: rendered.sort() }).toEqual({
        step,
        rendered: stepRbacRules(step)
          .map((rule) => `${rule.apiGroup}|${rule.resource}|${rule.verbs.join(',')}`)
          .sort(),
      });
      for (const rule of stepRbacRules(step)) {
        const catalog = RBAC_RULES.find(
          (c) => c.apiGroup === rule.apiGroup && c.resource === rule.resource && c.scope === rule.scope,
        );
        expect(rule.verbs.filter((verb) => !catalog?.verbs.includes(verb))).toEqual([]);
      }
    }
  });

  it('heads the manifest with each group, its grants and the operations that need them', () => {
    // Act
    const manifest = rbacManifest(PREFIX, ['apps']);

    // Assess
    for (const step of KUBERNETES_STEPS) expect(manifest.split('\n')).toContain(`# ${PREFIX}:${step}`);
    expect(manifest).toMatch(
      /^# eks-incident-response:intake\n# {3}core\/pods \[get\] cluster: controllerOf/,
    );
    expect(manifest).toContain('#   core/secrets [list] cluster: listSecretKeysPage, listPage');
  });

  it('creates the scratch namespaces and grants Job create and delete there, to the restore test only', () => {
    // Act
    const objects = objectsOf(rbacManifest(PREFIX, ['apps'], ['backup-restore-test']));

    // Assess
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'backup-restore-test' } });
    const scratch = objects.filter((o) => o.metadata.name.endsWith('-scratch-namespaces'));
    expect(scratch.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      `ClusterRole//${PREFIX}-backup-restore-test-scratch-namespaces`,
      `RoleBinding/backup-restore-test/${PREFIX}-backup-restore-test-scratch-namespaces`,
    ]);
    expect(scratch[0].rules).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete'] },
    ]);
    expect(scratch[1].subjects).toEqual([
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: `${PREFIX}:backup-restore-test` },
    ]);
    expect(
      objectsOf(rbacManifest(PREFIX, ['apps'])).some((o) => o.metadata.name.endsWith('-scratch-namespaces')),
    ).toBe(false);
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

describe('stepRbacRules: each group gets only what its operations need', () => {
  it('lets only the cluster dump list Secrets', () => {
    // Act + Assess
    expect(stepsGranted('list', '', 'secrets')).toEqual(['cluster-dump']);
    expect(KUBERNETES_STEPS.filter((step) => grants(step).some((g) => g.includes('/secrets')))).toEqual([
      'cluster-dump',
    ]);
  });

  it('lets only restart and rollback patch workloads', () => {
    // Act + Assess
    for (const resource of ['deployments', 'statefulsets', 'daemonsets']) {
      expect(stepsGranted('patch', 'apps', resource)).toEqual(['restart', 'rollback']);
    }
  });

  it('lets only the restore test create and delete Jobs', () => {
    // Act + Assess
    expect(stepsGranted('create', 'batch', 'jobs')).toEqual(['backup-restore-test']);
    expect(stepsGranted('delete', 'batch', 'jobs')).toEqual(['backup-restore-test']);
  });

  it('lets the remediating steps, and no other, write Leases', () => {
    // Act + Assess
    expect(stepsGranted('update', 'coordination.k8s.io', 'leases')).toEqual([
      'guard',
      'restart',
      'verify',
      'rollback',
    ]);
    expect(stepsGranted('create', 'coordination.k8s.io', 'leases')).toEqual(['guard', 'verify', 'rollback']);
  });

  it('gives the internet-facing intake nothing but the reads of its owner lookup', () => {
    // Act + Assess
    expect(grants('intake')).toEqual([
      'get core/pods cluster',
      'get apps/replicasets cluster',
      'get apps/statefulsets cluster',
      'get apps/daemonsets cluster',
    ]);
  });

  it('gives collect-events only the reads that find and list events', () => {
    // Act + Assess
    expect(grants('collect-events').every((g) => /^(get|list) /.test(g))).toBe(true);
    expect(grants('collect-events')).toContain('list events.k8s.io/events cluster');
  });
});

describe('rbacAllows', () => {
  it("answers for one step's group when given one", () => {
    // Prepare
    const allowed = ['apps'];
    const patch = { apiGroup: 'apps', resource: 'deployments', verb: 'patch' as const, namespace: 'apps' };
    const secrets = { apiGroup: '', resource: 'secrets', verb: 'list' as const };

    // Act + Assess
    expect(rbacAllows(patch, allowed, [], 'restart')).toBe(true);
    expect(rbacAllows(patch, allowed, [], 'intake')).toBe(false);
    expect(rbacAllows(patch, allowed, [], 'verify')).toBe(false);
    expect(rbacAllows({ ...patch, namespace: 'other' }, allowed, [], 'restart')).toBe(false);
    expect(rbacAllows(secrets, allowed, [], 'cluster-dump')).toBe(true);
    expect(rbacAllows(secrets, allowed, [], 'diagnose')).toBe(false);
    expect(rbacAllows({ ...secrets, namespace: 'apps' }, allowed, [], 'verify')).toBe(false);
  });

  it('allows reads anywhere and writes only in allowed namespaces, for any of the groups', () => {
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
