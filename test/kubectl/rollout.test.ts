import { types } from '../../local/kube-sandbox/runtime';
import { KubectlSandbox, headerOf, parseTable } from '../support/kubectl';
import { eventually } from '../support/polling';
import { deployment, namespace } from '../support/manifests';

// kubectl's rollout, scale and delete commands, whose client-side logic (revision lookup,
// template patching, status polling) runs unchanged against the sandbox's controllers.
const NS = 'one-data-system';
let k: KubectlSandbox;

beforeAll(async () => {
  k = await KubectlSandbox.start({ clock: { timeScale: 100 } });
  await k.create([namespace(NS)]);
});

afterAll(async () => {
  await k?.stop();
});

function podsOf(app: string): Array<Record<string, string>> {
  return k.sandbox.store
    .list(types.pods, NS)
    .filter((p) => p.metadata.labels?.app === app)
    .map((p) => ({
      name: p.metadata.name!,
      phase: (p.status as { phase?: string } | undefined)?.phase ?? '',
    }));
}

function history(out: string): string[] {
  return parseTable(out.split('\n').slice(1).join('\n')).map((r) => `${r.REVISION} ${r['CHANGE-CAUSE']}`);
}

describe('a healthy deployment', () => {
  beforeAll(async () => {
    await k.create([deployment(NS, 'data-api', { replicas: 2 })]);
  });

  it('rollout status waits for it and reports success', async () => {
    // Act
    const result = await k.run(['rollout', 'status', 'deployment/data-api', '-n', NS, '--timeout=60s']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').pop()).toBe('deployment "data-api" successfully rolled out');
  });

  it('rollout restart stamps the template and rolls out a second revision', async () => {
    // Act
    const restart = await k.ok(['rollout', 'restart', 'deployment/data-api', '-n', NS]);
    const status = await k.run(['rollout', 'status', 'deployment/data-api', '-n', NS, '--timeout=60s']);

    // Assess
    expect(restart).toBe('deployment.apps/data-api restarted\n');
    expect(status.code).toBe(0);
    const restartedAt = await k.ok([
      'get',
      'deployment',
      'data-api',
      '-n',
      NS,
      '-o',
      'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}',
    ]);
    expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const rs = parseTable(await k.ok(['get', 'rs', '-n', NS, '-l', 'app=data-api']));
    expect(rs.map((r) => [r.DESIRED, r.READY]).sort()).toEqual([
      ['0', '0'],
      ['2', '2'],
    ]);
  });

  it('rollout history lists both revisions', async () => {
    // Act
    const out = await k.ok(['rollout', 'history', 'deployment/data-api', '-n', NS]);

    // Assess
    expect(out.split('\n')[0].trim()).toBe('deployment.apps/data-api');
    expect(headerOf(out.split('\n').slice(1).join('\n'))).toBe('REVISION CHANGE-CAUSE');
    expect(history(out)).toEqual(['1 <none>', '2 <none>']);
  });

  it('rollout history --revision shows that revision`s pod template', async () => {
    // Act
    const out = await k.ok(['rollout', 'history', 'deployment/data-api', '-n', NS, '--revision=2']);

    // Assess
    expect(out).toContain('deployment.apps/data-api with revision #2');
    expect(out).toContain('kubectl.kubernetes.io/restartedAt:');
    expect(out).toContain('Image:\tregistry.example.com/data-api:1.0.0');
  });

  it('rollout undo goes back to revision 1, which becomes revision 3', async () => {
    // Act
    const undo = await k.ok(['rollout', 'undo', 'deployment/data-api', '-n', NS]);
    const status = await k.run(['rollout', 'status', 'deployment/data-api', '-n', NS, '--timeout=60s']);

    // Assess
    expect(undo).toBe('deployment.apps/data-api rolled back\n');
    expect(status.code).toBe(0);
    expect(history(await k.ok(['rollout', 'history', 'deployment/data-api', '-n', NS]))).toEqual([
      '2 <none>',
      '3 <none>',
    ]);
    const annotations = await k.ok([
      'get',
      'deployment',
      'data-api',
      '-n',
      NS,
      '-o',
      'jsonpath={.spec.template.metadata.annotations}',
    ]);
    expect(annotations).not.toContain('restartedAt');
  });

  it('rollout undo to the current template is skipped', async () => {
    // Act
    const result = await k.run(['rollout', 'undo', 'deployment/data-api', '-n', NS, '--to-revision=3']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'deployment.apps/data-api skipped rollback (current template already matches revision 3)\n',
    );
  });

  it('rollout undo to a revision that does not exist fails', async () => {
    // Act
    const result = await k.run(['rollout', 'undo', 'deployment/data-api', '-n', NS, '--to-revision=9']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: unable to find specified revision 9 in history\n');
  });
});

describe('scale and delete', () => {
  beforeAll(async () => {
    await k.create([deployment(NS, 'agent-api', { replicas: 1 })]);
    await k.ok(['rollout', 'status', 'deployment/agent-api', '-n', NS, '--timeout=60s']);
  });

  it('scale changes the replica count and the deployment follows', async () => {
    // Act
    const out = await k.ok(['scale', 'deployment/agent-api', '-n', NS, '--replicas=3']);

    // Assess
    expect(out).toBe('deployment.apps/agent-api scaled\n');
    const row = await eventually('agent-api to have 3 ready pods', async () => {
      const [r] = parseTable(await k.ok(['get', 'deployment', 'agent-api', '-n', NS]));
      return r.READY === '3/3' ? r : undefined;
    });
    expect(row).toMatchObject({ 'UP-TO-DATE': '3', AVAILABLE: '3' });
  });

  it('delete pod removes it and its ReplicaSet replaces it', async () => {
    // Prepare
    await eventually('3 running agent-api pods', () =>
      podsOf('agent-api').filter((p) => p.phase === 'Running').length === 3 ? true : undefined,
    );
    const victim = podsOf('agent-api')[0].name;

    // Act
    const out = await k.ok(['delete', 'pod', victim, '-n', NS]);

    // Assess
    expect(out).toBe(`pod "${victim}" deleted\n`);
    const pods = await eventually('a replacement pod', () => {
      const now = podsOf('agent-api');
      return now.length === 3 && now.every((p) => p.phase === 'Running') ? now : undefined;
    });
    expect(pods.map((p) => p.name)).not.toContain(victim);
  });
});

describe('a deployment whose new pods never become available', () => {
  it('rollout status fails once the progress deadline is exceeded', async () => {
    // Prepare
    await k.create([
      deployment(NS, 'report-worker', {
        replicas: 1,
        progressDeadlineSeconds: 60,
        behavior: { app: { mode: 'crash', logs: ['panic: nil pointer dereference'] } },
      }),
    ]);

    // Act
    const result = await k.run(['rollout', 'status', 'deployment/report-worker', '-n', NS, '--timeout=60s']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: deployment "report-worker" exceeded its progress deadline\n');
  });

  it('rollout restart of a paused deployment is refused', async () => {
    // Prepare
    await k.ok(['rollout', 'pause', 'deployment/report-worker', '-n', NS]);

    // Act
    const result = await k.run(['rollout', 'restart', 'deployment/report-worker', '-n', NS]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("can't restart paused deployment (run rollout resume first)");
  });
});
