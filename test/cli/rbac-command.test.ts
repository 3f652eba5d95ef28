import { parseAllDocuments } from 'yaml';
import { main } from '../../local/cli/main';
import { KUBERNETES_STEPS } from '../../lambdas/shared/kubernetes/step-access';
import { DEFAULT_RBAC_GROUP, rbacManifest } from '../../lambdas/shared/rbac';
import { recordingStreams } from '../support/cli';

async function rbac(...args: string[]) {
  const streams = recordingStreams();
  const code = await main(['node', 'eks-incident', 'rbac', ...args], streams);
  return { code, stdout: streams.stdout(), stderr: streams.stderr() };
}

describe('eks-incident rbac (what the stack output RbacCommand runs)', () => {
  it('prints the RBAC manifest for the group and namespaces, ready for kubectl apply -f -', async () => {
    // Act
    const result = await rbac('--group', 'incident-bots', '--namespaces', 'one-data-alldata,one-data-system');

    // Assess
    expect(result).toEqual({
      code: 0,
      stdout: rbacManifest('incident-bots', ['one-data-alldata', 'one-data-system']),
      stderr: '',
    });
    const documents = parseAllDocuments(result.stdout).map((d) => d.toJS() as Record<string, unknown>);
    const bindings = documents.filter((d) => d.kind === 'RoleBinding') as Array<{
      metadata: { namespace: string };
      subjects: Array<{ name: string }>;
    }>;
    expect([...new Set(bindings.map((b) => b.metadata.namespace))]).toEqual([
      'one-data-alldata',
      'one-data-system',
    ]);
    for (const binding of bindings)
      expect(binding.subjects).toEqual([
        expect.objectContaining({ name: expect.stringMatching(/^incident-bots:/) }),
      ]);
  });

  it('prints one group per step, each bound to its own roles', async () => {
    // Act
    const result = await rbac('--namespaces', 'apps');

    // Assess
    const documents = parseAllDocuments(result.stdout).map((d) => d.toJS() as Record<string, unknown>);
    const groups = documents
      .filter((d) => d.kind === 'ClusterRoleBinding')
      .map((d) => (d as { subjects: Array<{ name: string }> }).subjects.map((s) => s.name));
    expect(groups).toEqual(KUBERNETES_STEPS.map((step) => [`${DEFAULT_RBAC_GROUP}:${step}`]));
    const headers = result.stdout.split('\n').filter((line) => /^# \S+$/.test(line));
    expect(headers).toEqual(KUBERNETES_STEPS.map((step) => `# ${DEFAULT_RBAC_GROUP}:${step}`));
  });

  it('grants the restore tests their scratch namespaces, as the stack output asks when backups are configured', async () => {
    // Act
    const result = await rbac('--namespaces', 'apps', '--scratch-namespaces', 'backup-restore-test');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(rbacManifest(DEFAULT_RBAC_GROUP, ['apps'], ['backup-restore-test']));
    expect(result.stdout).not.toBe(rbacManifest(DEFAULT_RBAC_GROUP, ['apps']));
  });

  it("defaults to the stack's default group", async () => {
    // Act
    const result = await rbac('--namespaces', 'apps');

    // Assess
    expect(result.stdout).toBe(rbacManifest(DEFAULT_RBAC_GROUP, ['apps']));
  });

  it('needs --namespaces', async () => {
    // Act
    const result = await rbac();

    // Assess
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: "eks-incident: required option '--namespaces <a,b>' not specified (add --help for usage)\n",
    });
  });
});
