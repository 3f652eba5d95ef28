import { types } from '../local/kube-sandbox/runtime';
import { startSandbox } from '../local/kube-sandbox/sandbox';

/** What the alert storm's sandbox process is started with (its first argument, JSON). */
export interface StormSandboxInput {
  timeScale: number;
  namespaces: string[];
}

/** What it answers once the sandbox has settled. */
export interface StormSandboxReady {
  kubeconfig: string;
  /** Pods owned by a ReplicaSet: the alerts' subjects. */
  pods: Array<{ namespace: string; pod: string }>;
  /** Sandbox time at `wallAt` (its clock is wall time scaled from there). */
  sandboxAt: number;
  wallAt: number;
}

/**
 * The alert storm's Kubernetes sandbox in a process of its own: for `serve` the cluster is
 * another machine, and the sandbox's controllers, ticking on a x100 clock, would otherwise take
 * the intake's event loop and be counted as its CPU. Sends StormSandboxReady over IPC once
 * settled; stops when the parent disconnects.
 */
async function main(): Promise<void> {
  const { timeScale, namespaces } = JSON.parse(process.argv[2]) as StormSandboxInput;
  const sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale } });
  await sandbox.settle();
  const pods = namespaces.flatMap((namespace) =>
    sandbox.store
      .list(types.pods, namespace)
      .filter((pod) => pod.metadata.ownerReferences?.some((ref) => ref.kind === 'ReplicaSet'))
      .map((pod) => ({ namespace, pod: pod.metadata.name! })),
  );
  const ready: StormSandboxReady = {
    kubeconfig: sandbox.kubeconfig(),
    pods,
    sandboxAt: sandbox.clock.now(),
    wallAt: Date.now(),
  };
  process.once('disconnect', () => {
    void sandbox.stop().then(() => process.exit(0));
  });
  process.send!(ready);
}

void main();
