import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startSandbox } from '../local/kube-sandbox/sandbox';
import { scaleScenario } from '../local/kube-sandbox/scenarios/scale';
import type { Figure, Section } from './results-file';
import { summarize } from './stats';

const PODS = 5000;
const EVENTS = 50000;
const PAGE = 500;
/** Listings after the first: clients relist (informers, kubectl, the workflow's own reads). */
const WARM_RUNS = 5;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Pages through a list with limit/continue, returning how many items and pages it saw. */
async function pageThrough(
  list: (token?: string) => Promise<{ items: unknown[]; metadata?: { _continue?: string } }>,
): Promise<{ items: number; pages: number }> {
  let token: string | undefined;
  let items = 0;
  let pages = 0;
  do {
    const page = await list(token);
    items += page.items.length;
    pages += 1;
    token = page.metadata?._continue;
  } while (token);
  return { items, pages };
}

/**
 * The sandbox at scale: a namespace of 5,000 pods and 50,000 events, listed with
 * pagination through @kubernetes/client-node and through kubectl.
 */
export async function benchSandboxList(): Promise<Section> {
  const heapBefore = process.memoryUsage().heapUsed;
  const start = await timed(() =>
    startSandbox({ controllers: false, scenario: scaleScenario({ pods: PODS, events: EVENTS }) }),
  );
  const sandbox = start.value;
  const heapLoaded = process.memoryUsage().heapUsed;
  const figures: Figure[] = [
    {
      name: 'sandbox start with the scale scenario',
      value: start.ms,
      unit: 'ms',
      note: `${PODS} pods, ${EVENTS} events`,
    },
    { name: 'heap held by the loaded sandbox', value: (heapLoaded - heapBefore) / 2 ** 20, unit: 'MiB' },
  ];
  const dir = await mkdtemp(join(tmpdir(), 'bench-kubeconfig-'));
  try {
    const kc = new KubeConfig();
    kc.loadFromString(sandbox.kubeconfig());
    const core = kc.makeApiClient(CoreV1Api);
    const ns = 'scale-test';

    const pods = await timed(() =>
      pageThrough((token) => core.listNamespacedPod({ namespace: ns, limit: PAGE, _continue: token })),
    );
    figures.push({
      name: `list pods, pages of ${PAGE} (client-node)`,
      value: pods.ms,
      unit: 'ms',
      note: `${pods.value.items} pods in ${pods.value.pages} pages`,
    });
    const listPods = () =>
      pageThrough((token) => core.listNamespacedPod({ namespace: ns, limit: PAGE, _continue: token }));
    const warm: number[] = [];
    for (let run = 0; run < WARM_RUNS; run++) warm.push((await timed(listPods)).ms);
    const warmSummary = summarize(warm);
    figures.push({
      name: `list pods again, pages of ${PAGE} (median of ${WARM_RUNS})`,
      value: warmSummary.median,
      unit: 'ms',
      note: `${warmSummary.min.toFixed(1)}–${warmSummary.max.toFixed(1)} ms; the first listing above serializes each pod once`,
    });
    const events = await timed(() =>
      pageThrough((token) => core.listNamespacedEvent({ namespace: ns, limit: PAGE, _continue: token })),
    );
    figures.push({
      name: `list events, pages of ${PAGE} (client-node)`,
      value: events.ms,
      unit: 'ms',
      note: `${events.value.items} events in ${events.value.pages} pages`,
    });
    const firstPod = (await core.listNamespacedPod({ namespace: ns, limit: 1 })).items[0].metadata!.name!;
    const related = await timed(() =>
      core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${firstPod}` }),
    );
    figures.push({
      name: 'events of one pod by fieldSelector',
      value: related.ms,
      unit: 'ms',
      note: `${related.value.items.length} events matched out of ${EVENTS}`,
    });

    const kubeconfig = join(dir, 'kubeconfig');
    await sandbox.writeKubeconfig(kubeconfig);
    const kubectl = await timed(() =>
      promisify(execFile)('kubectl', ['--kubeconfig', kubeconfig, 'get', 'pods', '-n', ns, '--no-headers'], {
        maxBuffer: 64 * 2 ** 20,
      }),
    );
    figures.push({
      name: 'kubectl get pods (default chunk size 500)',
      value: kubectl.ms,
      unit: 'ms',
      note: `${kubectl.value.stdout.trim().split('\n').length} rows`,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await sandbox.stop();
  }
  return {
    title: 'Kubernetes sandbox at scale',
    setup: `\`npm run bench\`: one namespace of ${PODS} pods and ${EVENTS} events, controllers off, listed over HTTP on loopback.`,
    figures,
  };
}
