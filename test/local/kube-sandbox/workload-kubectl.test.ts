import { KubectlSandbox, parseTable } from '../../support/kubectl';
import { daemonSetManifest, jobManifest, statefulSetManifest } from '../../support/manifests';

// kubectl's StatefulSet and DaemonSet rollout commands (polymorphichelpers: history viewers,
// rollbackers, status viewers) against the sandbox's controllers and ControllerRevisions.
let k: KubectlSandbox;

beforeAll(async () => {
  k = await KubectlSandbox.start({ clock: { timeScale: 100 } });
});

afterAll(async () => {
  await k?.stop();
  expect(k.sandbox.controllerErrors).toEqual([]);
});

function history(out: string): string[] {
  return parseTable(out.split('\n').slice(1).join('\n')).map((r) => `${r.REVISION} ${r['CHANGE-CAUSE']}`);
}

async function image(kind: string, name: string): Promise<string> {
  return k.ok(['get', kind, name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
}

describe.each([
  ['statefulset', 'web', statefulSetManifest('web')],
  ['daemonset', 'agent', daemonSetManifest('agent')],
])('kubectl rollout on a %s', (kind, name, manifest) => {
  const ref = `${kind}/${name}`;
  const qualified = `${kind}.apps/${name}`;

  beforeAll(async () => {
    await k.create([manifest]);
  });

  it('rollout status waits for every pod', async () => {
    // Act
    const result = await k.run(['rollout', 'status', ref, '--timeout=60s']);

    // Assess
    expect(result.code).toBe(0);
    const last = result.stdout.trim().split('\n').pop();
    // The defaulted partition (0) makes kubectl report a partitioned roll out, as on a real cluster.
    expect(last).toBe(
      kind === 'statefulset'
        ? 'partitioned roll out complete: 3 new pods have been updated...'
        : 'daemon set "agent" successfully rolled out',
    );
  });

  it('rollout history lists a revision per template after set image', async () => {
    // Prepare
    await k.ok(['set', 'image', ref, 'app=nginx:1.28']);
    await k.ok(['rollout', 'status', ref, '--timeout=60s']);

    // Act
    const out = await k.ok(['rollout', 'history', ref]);
    const second = await k.ok(['rollout', 'history', ref, '--revision=1']);

    // Assess
    expect(out.split('\n')[0].trim()).toBe(qualified);
    expect(history(out)).toEqual(['1 <none>', '2 <none>']);
    expect(second).toContain(`${qualified} with revision #1`);
    expect(second).toContain('Image:\tnginx:1.27');
  });

  it('rollout undo restores the previous template, which becomes revision 3', async () => {
    // Act
    const undo = await k.ok(['rollout', 'undo', ref]);
    const status = await k.run(['rollout', 'status', ref, '--timeout=60s']);

    // Assess
    expect(undo).toBe(`${qualified} rolled back\n`);
    expect(status.code).toBe(0);
    expect(await image(kind, name)).toBe('nginx:1.27');
    expect(history(await k.ok(['rollout', 'history', ref]))).toEqual(['2 <none>', '3 <none>']);
  });

  it('rollout undo to the current revision is skipped', async () => {
    // Act
    const result = await k.run(['rollout', 'undo', ref, '--to-revision=3']);

    // Assess
    expect(result.stdout).toBe(
      `${qualified} skipped rollback (current template already matches revision 3)\n`,
    );
  });

  it('rollout restart stamps the template and rolls every pod', async () => {
    // Act
    const restart = await k.ok(['rollout', 'restart', ref]);
    const status = await k.run(['rollout', 'status', ref, '--timeout=60s']);

    // Assess
    expect(restart).toBe(`${qualified} restarted\n`);
    expect(status.code).toBe(0);
    expect(history(await k.ok(['rollout', 'history', ref]))).toEqual(['2 <none>', '3 <none>', '4 <none>']);
  });
});

describe('kubectl on a Job', () => {
  beforeAll(async () => {
    await k.create([
      jobManifest(
        'migrate',
        {},
        { app: { mode: 'complete', runSeconds: 5, logs: ['Successfully applied 3 migrations'] } },
      ),
    ]);
  });

  it('wait --for=condition=complete returns once the Job completes, and logs reads its pod', async () => {
    // Act
    const waited = await k.run(['wait', '--for=condition=complete', 'job/migrate', '--timeout=60s']);
    const logs = await k.ok(['logs', 'job/migrate']);
    const [row] = parseTable(await k.ok(['get', 'job', 'migrate']));

    // Assess
    expect(waited.stdout).toBe('job.batch/migrate condition met\n');
    expect(logs).toBe('Successfully applied 3 migrations\n');
    expect(row).toMatchObject({ STATUS: 'Complete', COMPLETIONS: '1/1' });
  });
});
