import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { lambdaV8Flags } from '../lib/bundling/lambda-v8-flags';
import { configSchema } from '../lib/config';
import { stepDefinition } from '../lib/incident-steps';
import { startLocalAws, type LocalAws } from '../local/aws/local-aws';
import { types } from '../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../local/kube-sandbox/sandbox';
import { scaleScenario } from '../local/kube-sandbox/scenarios/scale';
import { DUMP_STARTS, type DumpChildInput, type DumpChildOutput } from './cluster-dump-protocol';
import { hasGnuTime, measureProcess, type ProcessUsage } from './process-usage';
import type { Section, Table } from './results-file';
import { progress, summarize } from './stats';

const PROJECT_ROOT = resolve(__dirname, '..');
const NAMESPACE = 'scale-test';
/** Pods of the namespace the dump is compared with kubectl on; the other sizes show memory stays flat. */
const COMPARED_PODS = 2000;
const SIZES = [500, COMPARED_PODS, 5000];
/** Runs of the dump and of kubectl at the compared size, interleaved: the machine is shared. */
const COMPARED_RUNS = 3;
/** Events per pod: 2,000 pods come with 20,000 events, as in the brief's namespace. */
const EVENTS_PER_POD = 10;
/** Lines each pod's container has logged. */
const LOG_LINES = 40;
const MiB = 1024;
/** The Cluster Dump function's memory (lib/incident-steps.ts), which sizes its V8 heap. */
const FUNCTION_MEMORY_MB = stepDefinition('cluster-dump').memorySize;
/**
 * The V8 heap of the Cluster Dump function: the flags Lambda's bootstrap starts node with for its
 * memory (lib/bundling/lambda-v8-flags.ts: semi-spaces of a twentieth of it, 51 MiB at 1,024 MB).
 * Without them Node would size the heap from this machine's 24 GiB (64 MiB semi-spaces).
 */
const FUNCTION_HEAP_FLAGS = lambdaV8Flags(FUNCTION_MEMORY_MB);

/** Lines like a Python worker's, different per pod so no two logs compress alike. */
function podLog(pod: string, start: number): Array<{ at: number; text: string }> {
  return Array.from({ length: LOG_LINES }, (_, i) => {
    const at = start + i * 1500;
    const stamp = new Date(at).toISOString();
    const text =
      i % 10 === 9
        ? `${stamp} WARNING worker.queue job ${pod}-${i} retried after 503 from http://feature-store.one-data-infra:8080/v1/batch`
        : `${stamp} INFO worker.run processed batch ${i} of shard ${pod.slice(-5)} in ${(i * 37) % 900} ms (rows=${(i * 7919) % 50000})`;
    return { at, text };
  });
}

/** The scale scenario (Running pods, events about them) plus a log for every pod's container. */
async function sandboxOf(pods: number): Promise<Sandbox> {
  const sandbox = await startSandbox({
    controllers: false,
    scenario: scaleScenario({ pods, events: pods * EVENTS_PER_POD, namespace: NAMESPACE }),
  });
  const start = sandbox.clock.now() - 3_600_000;
  for (const pod of sandbox.store.list(types.pods, NAMESPACE)) {
    // The scale scenario's containers have never restarted: their log is instance 0.
    sandbox.logs.append(pod.metadata.uid!, 'worker', 0, podLog(pod.metadata.name!, start));
  }
  return sandbox;
}

/** The requests the sandbox received, by kind: what a dump costs the API server. */
function requestCounts(sandbox: Sandbox): { total: number; lists: number; logs: number; other: number } {
  const all = sandbox.requests.all();
  const lists = all.filter((r) => r.verb === 'list').length;
  const logs = all.filter((r) => r.subresource === 'log').length;
  return { total: all.length, lists, logs, other: all.length - lists - logs };
}

async function directorySize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

/**
 * The child bundled as the Lambdas are (lib/constructs/function-defaults.ts: ES module for
 * Node 24, minified, nothing external: the SDK clients are bundled, as the functions carry them).
 */
async function bundleChild(dir: string): Promise<string> {
  const outfile = join(dir, 'cluster-dump-child.mjs');
  await build({
    entryPoints: [join(__dirname, 'cluster-dump-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * V8's --trace-gc lines of the full (mark-compact) collections after the dump started: the
 * heap in use right after each is what the dump keeps alive, the figure that stays flat if it
 * streams. V8 prints `Mark-Compact <before> (<committed>) -> <after> (<committed>) MB` in MiB.
 */
function fullCollections(stdout: string): { count: number; peakLiveMiB?: number } {
  const during = stdout.slice(stdout.indexOf(DUMP_STARTS));
  const after = [...during.matchAll(/Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/g)].map((m) =>
    Number(m[1]),
  );
  return { count: after.length, peakLiveMiB: after.length ? Math.max(...after) : undefined };
}

interface DumpMeasure {
  pods: number;
  usage: ProcessUsage;
  result: DumpChildOutput;
  /** Full collections during the dump, and the most heap any of them left in use. */
  fullGcs: { count: number; peakLiveMiB?: number };
  requests: ReturnType<typeof requestCounts>;
  /** CPU this process (the sandbox and fauxqs serving the dump) used while the child ran. */
  serverCpuMs: number;
}

async function measureDump(
  childFile: string,
  sandbox: Sandbox,
  aws: LocalAws,
  kubeconfigFile: string,
  pods: number,
): Promise<DumpMeasure> {
  const config = configSchema.parse({ clusterName: 'sandbox', allowedNamespaces: [NAMESPACE] });
  const input: DumpChildInput = {
    kubeconfigFile,
    s3Endpoint: aws.endpoint,
    region: aws.region,
    bucket: aws.bucket,
    namespace: NAMESPACE,
    maxBytes: config.dumpMaxBytes,
    concurrency: config.dumpConcurrency,
    logLimitBytes: config.logLimitBytes,
    logs: config.dumpLogs,
    requestTimeoutMs: config.kubeRequestTimeoutMs,
  };
  sandbox.requests.clear();
  const cpuBefore = process.cpuUsage();
  const usage = await measureProcess(
    process.execPath,
    [...FUNCTION_HEAP_FLAGS, '--trace-gc', childFile, JSON.stringify(input)],
    {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH },
    },
  );
  // --trace-gc lines (`[pid:isolate] ...`) may follow it: the result is the line that is JSON.
  const resultLine = usage.stdout.split('\n').findLast((line) => line.startsWith('{'));
  if (!resultLine) throw new Error(`the dump child printed no result:\n${usage.stderr.slice(-2000)}`);
  const result = JSON.parse(resultLine) as DumpChildOutput;
  if (result.truncated) throw new Error(`the dump of ${pods} pods was truncated: raise DUMP_MAX_BYTES`);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    pods,
    usage,
    result,
    fullGcs: fullCollections(usage.stdout),
    requests: requestCounts(sandbox),
    serverCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

async function measureKubectl(
  sandbox: Sandbox,
  kubeconfigFile: string,
  outputDir: string,
): Promise<{
  usage: ProcessUsage;
  requests: ReturnType<typeof requestCounts>;
  files: number;
  bytes: number;
}> {
  sandbox.requests.clear();
  const usage = await measureProcess('kubectl', [
    '--kubeconfig',
    kubeconfigFile,
    'cluster-info',
    'dump',
    '--namespaces',
    NAMESPACE,
    '--output-directory',
    outputDir,
  ]);
  return { usage, requests: requestCounts(sandbox), ...(await directorySize(outputDir)) };
}

/** Table cells: whole milliseconds, MiB to a tenth. */
const tenth = (value: number) => Math.round(value * 10) / 10;
const mib = (kib: number) => tenth(kib / MiB);
const ms = (value: number) => Math.round(value);

function requestsCell(r: ReturnType<typeof requestCounts>): string {
  return `${r.total} (${r.lists} lists, ${r.logs} logs, ${r.other} other)`;
}

/** Issue 13's goal for the dump, said with this run's medians. */
function goalNote(
  runs: DumpMeasure[],
  kubectls: Array<{ usage: ProcessUsage }>,
  bySize: DumpMeasure[],
): string {
  const median = (values: number[]) => summarize(values).median;
  const wall = median(runs.map((r) => r.usage.wallMs)) / median(kubectls.map((k) => k.usage.wallMs));
  const rss = median(runs.map((r) => r.usage.maxRssKiB)) / median(kubectls.map((k) => k.usage.maxRssKiB));
  const met = (ratio: number) => (ratio <= 1 ? 'met' : `missed, ${ratio.toFixed(1)}× kubectl's`);
  const live = bySize.map((d) => d.fullGcs.peakLiveMiB ?? NaN);
  const peaks = bySize.map((d) => mib(d.usage.maxRssKiB));
  return (
    `Goal (issue 13) at ${COMPARED_PODS} pods: wall time no longer than kubectl's: ${met(wall)}; peak RSS no ` +
    `higher than kubectl's: ${met(rss)}. From ${SIZES[0]} to ${SIZES[SIZES.length - 1]} pods the peak RSS is ` +
    `${peaks.join(', ')} MiB and the heap the dump keeps alive ${live.join(', ')} MiB after a full GC.`
  );
}

/**
 * The Cluster Dump step against `kubectl cluster-info dump` on the same sandbox namespace, and
 * the dump's memory as the namespace grows. Each dump runs in a child process measured from
 * outside (GNU time), so its peak is its own: the sandbox and fauxqs stay in this process.
 */
export async function benchClusterDump(): Promise<Section> {
  const work = join(PROJECT_ROOT, 'cdk.out', `bench-dump-${process.pid}`);
  await mkdir(work, { recursive: true });
  const scratch = await mkdtemp(join(tmpdir(), 'bench-dump-'));
  const aws = await startLocalAws();
  const dumps: DumpMeasure[] = [];
  const kubectls: Array<Awaited<ReturnType<typeof measureKubectl>>> = [];
  const loadAtStart = loadavg()[0];
  try {
    progress('dump', 'bundling the dump child like a Lambda');
    const childFile = await bundleChild(work);
    for (const pods of SIZES) {
      progress(
        'dump',
        `sandbox with ${pods} pods, ${pods * EVENTS_PER_POD} events, ${LOG_LINES} log lines a pod`,
      );
      const sandbox = await sandboxOf(pods);
      try {
        const kubeconfigFile = join(scratch, `kubeconfig-${pods}`);
        await sandbox.writeKubeconfig(kubeconfigFile);
        for (let run = 0; run < (pods === COMPARED_PODS ? COMPARED_RUNS : 1); run++) {
          const dump = await measureDump(childFile, sandbox, aws, kubeconfigFile, pods);
          aws.server.reset();
          dumps.push(dump);
          progress(
            'dump',
            `cluster-dump: ${dump.usage.wallMs.toFixed(0)} ms, max RSS ${mib(dump.usage.maxRssKiB).toFixed(0)} MiB, ${dump.requests.total} requests`,
          );
          if (pods !== COMPARED_PODS) continue;
          const outputDir = join(scratch, `kubectl-dump-${run}`);
          const measured = await measureKubectl(sandbox, kubeconfigFile, outputDir);
          await rm(outputDir, { recursive: true, force: true });
          kubectls.push(measured);
          progress(
            'dump',
            `kubectl cluster-info dump: ${measured.usage.wallMs.toFixed(0)} ms, max RSS ${mib(measured.usage.maxRssKiB).toFixed(0)} MiB, ${measured.requests.total} requests`,
          );
        }
      } finally {
        await sandbox.stop();
      }
    }
  } finally {
    await aws.stop();
    await rm(scratch, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }

  const loadAtEnd = loadavg()[0];
  const comparedRuns = dumps.filter((d) => d.pods === COMPARED_PODS);
  /** The run of median wall time stands for its size in the scaling table. */
  const medianRun = <T extends { usage: ProcessUsage }>(runs: T[]): T =>
    [...runs].sort((a, b) => a.usage.wallMs - b.usage.wallMs)[Math.floor(runs.length / 2)];
  const compared = medianRun(comparedRuns);
  const bySize = SIZES.map((pods) => medianRun(dumps.filter((d) => d.pods === pods)));
  const kubectl = medianRun(kubectls);
  const spread = (
    runs: Array<{ usage: ProcessUsage }>,
    of: (u: ProcessUsage) => number | undefined,
    cell: (v: number) => number,
  ) => {
    const values = runs.map((r) => of(r.usage)).filter((v): v is number => v !== undefined);
    if (values.length === 0) return 'n/a';
    const s = summarize(values);
    return `${cell(s.median)} (${cell(s.min)}–${cell(s.max)})`;
  };
  const method = hasGnuTime()
    ? 'GNU time (`/usr/bin/time -v`, Debian package `time`): max RSS'
    : 'GNU time is not installed: /proc/<pid>/status VmHWM polled every 10 ms';
  const comparison: Table = {
    columns: ['tool', 'wall time (ms)', 'CPU time (ms)', 'peak RSS (MiB)', 'API requests', 'output'],
    rows: [
      [
        'Cluster Dump step (child process)',
        spread(comparedRuns, (u) => u.wallMs, ms),
        spread(comparedRuns, (u) => u.cpuMs, ms),
        spread(comparedRuns, (u) => u.maxRssKiB, mib),
        requestsCell(compared.requests),
        `${compared.result.objects} gzip objects in S3, ${(compared.result.bytes / 2 ** 20).toFixed(1)} MiB before compression`,
      ],
      [
        '`kubectl cluster-info dump`',
        spread(kubectls, (u) => u.wallMs, ms),
        spread(kubectls, (u) => u.cpuMs, ms),
        spread(kubectls, (u) => u.maxRssKiB, mib),
        requestsCell(kubectl.requests),
        `${kubectl.files} files, ${(kubectl.bytes / 2 ** 20).toFixed(1)} MiB`,
      ],
    ],
  };
  const scaling: Table = {
    columns: [
      'pods',
      'events',
      'dump wall time (ms)',
      'child CPU (ms)',
      'server CPU (ms)',
      'peak RSS MiB (before the dump)',
      'peak heap used MiB (before the dump)',
      'peak heap after a full GC, MiB (full GCs)',
      'API requests',
    ],
    rows: bySize.map((d) => [
      d.pods,
      d.pods * EVENTS_PER_POD,
      ms(d.result.dumpMs),
      d.usage.cpuMs === undefined ? 'n/a' : ms(d.usage.cpuMs),
      ms(d.serverCpuMs),
      `${mib(d.usage.maxRssKiB)} (${tenth(d.result.baselineRssMiB)})`,
      `${tenth(d.result.peakHeapMiB)} (${tenth(d.result.baselineHeapMiB)})`,
      d.fullGcs.peakLiveMiB === undefined ? 'no full GC' : `${d.fullGcs.peakLiveMiB} (${d.fullGcs.count})`,
      d.requests.total,
    ]),
  };
  return {
    title: 'Cluster dump at scale',
    setup:
      `\`npm run bench\`: the sandbox (controllers off) holding namespace \`${NAMESPACE}\` with N Running pods, ` +
      `${EVENTS_PER_POD}×N events and ${LOG_LINES} log lines per pod, in the benchmark's process with fauxqs. ` +
      `The Cluster Dump step (lambdas/cluster-dump logic through ClientNodeKubernetes and S3EvidenceStore, ` +
      `the stack's default DUMP_CONCURRENCY/LOG_LIMIT_BYTES/DUMP_MAX_BYTES/DUMP_LOGS, so the logs go into one ` +
      `\`<ns>/logs.tar.gz\`) runs in a child Node ${process.version} ` +
      `process bundled like the Lambdas, with the V8 flags Lambda starts a ${FUNCTION_MEMORY_MB} MB function with ` +
      `(\`${FUNCTION_HEAP_FLAGS.join(' ')}\`); kubectl (${'`kubectl cluster-info dump --namespaces NS --output-directory DIR`'}) ` +
      `runs against the same sandbox in the same run. Peak memory: ${method}. At ${COMPARED_PODS} pods ` +
      `${COMPARED_RUNS} runs of each, interleaved (dump, kubectl, dump, ...): median (min–max); one run at the ` +
      `other sizes. 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end ` +
      '(2 cores shared with other work).',
    figures: [],
    tables: [comparison, scaling],
    notes: [
      goalNote(comparedRuns, kubectls, bySize),
      'Wall time is the whole process (start-up included) for both tools in the first table; ' +
        '"dump wall time" in the second is the `clusterDump()` call alone, inside the child; "child CPU" is the ' +
        'child\'s user + system time (GNU time), "server CPU" what the benchmark\'s process (sandbox and fauxqs) ' +
        'spent answering it. ' +
        'Requests are those the sandbox served during the run; kubectl on this machine is the Google Cloud SDK ' +
        'dispatcher, whose one `/version` probe is counted under "other". The step also lists the workload kinds ' +
        'kubectl skips (StatefulSets, Jobs, CronJobs, ConfigMap and Secret names) and writes gzip objects to S3 ' +
        '(fauxqs, HTTP) where kubectl writes plain files to local disk.',
      "Heap is sampled every 5 ms inside the child (v8 used_heap_size), garbage included; RSS is the kernel's " +
        'peak. "Peak heap after a full GC" is the largest heap V8 reported (`--trace-gc`) right after a ' +
        'mark-compact collection during the dump: what the dump keeps alive, the figure that stays flat when it ' +
        'streams; the rest of the peak is garbage V8 had not needed to collect yet.',
      'Where the time goes (a V8 CPU profile of the child at 2,000 pods, `node --cpu-prof`, under load): about ' +
        '0.9 s of CPU redacting (each list item once, as the JSON line the store writes, and every log), 0.6–0.7 s ' +
        'loading the bundle before the dump starts (this child has no V8 code cache), 0.4 s writing requests to ' +
        'sockets (the kernel), 0.3 s of garbage collection, 0.2 s gzip; kubectl redacts nothing and compresses ' +
        'nothing. Memory: the child holds about 110–115 MiB before the dump starts (bare Node 24 holds 45: the S3 ' +
        'client adds about 27, client-node about 41); the dump adds about 40 at every size, most of it the young ' +
        'generation (shrunk and held at 2×4 MiB, lambdas/shared/young-generation.ts: held at the 2×8 MiB the loading ' +
        'leaves, the peak was about 8 MiB higher for 0.15 s less CPU; at 2×1 MiB about 4 MiB lower for 0.3 s more) ' +
        'and the old generation between full GCs.',
      "Earlier versions of this benchmark measured, at 2,000 pods: 14,108 ms against kubectl's 3,833 and 359 MiB " +
        'against 170 (an object per pod log, before the per-namespace archive); 4,486 ms against 3,404 and 273 MiB ' +
        "against 158 (each item redacted twice, client-node's model built of every list page); 4,424 ms against " +
        "3,636 and 260 MiB against 167 (each log read through client-node's fetch, about three times the CPU and " +
        "allocation of undici's request(); V8 left to grow the young generation to the 2×64 MiB Lambda's flags " +
        'allow, where it only held garbage); 3,460 ms against 3,772 and 168.1 MiB against 167.8 (the young ' +
        'generation held at the 2×8 MiB the loading leaves, not shrunk first). Tried and not kept: a worker with `resourceLimits.' +
        "maxYoungGenerationSizeMb` (Lambda's `--max-semi-space-size` overrides it: 257–261 MiB at 8, 16 or 32); a " +
        "shrinking full GC (`gc({flavor: 'last-resort'})`) every 250–500 ms (152 MiB, but 1.5–2 s more CPU); " +
        'list items parsed one by one from the page text (2–3 MiB less, within the noise); DUMP_CONCURRENCY 2 or 8 ' +
        "and MALLOC_ARENA_MAX=1 (no change); smaller upload parts (S3's minimum part is 5 MiB and every object of " +
        'this dump compresses below it, so each is one PutObject already, one part in flight).',
    ],
  };
}
