import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { deployedFunctions } from '../local/lambda-runtime/deployed-stack';
import type { Section, Table } from './results-file';
import { medianAndRange, progress, summarize, type Summary } from './stats';

const PROJECT_ROOT = resolve(__dirname, '..');
/** Fresh processes per bundle; ours and the naive one alternate so drift hits both alike. */
const IMPORTS = 7;
const BACKUP_EXAMPLE = join(PROJECT_ROOT, 'examples', 'backup-sources.json');
const CLIENT_NODE = 'node_modules/@kubernetes/client-node/';
const REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface BundledFunction {
  /** The directory under lambdas/ of the function's handler. */
  name: string;
  entry: string;
  /** The function's environment as Lambda sets it, deploy-time references given stand-ins. */
  environment: Record<string, string>;
  /** It builds a Kubernetes client: its environment has the cluster's (lambdas/shared/env.ts kubeEnv). */
  talksToKubernetes: boolean;
  ours: Bundle;
  naive?: Bundle;
}

/** Where a V8 compile cache for a bundle is kept (`NODE_COMPILE_CACHE`), when one is measured. */
type CompileCache = string | undefined;

export interface Bundle {
  file: string;
  /** index.mjs alone. */
  bytes: number;
  /** Every file of the package (ours ships index.mjs.map too), deflated as in the zip Lambda receives. */
  deflatedBytes: number;
  carriesClientNode: boolean;
  imports: ImportTime[];
}

/** One cold import: wall time, and the CPU it took (which other load on the machine disturbs less). */
interface ImportTime {
  wallMs: number;
  cpuMs: number;
}

async function packageSize(files: string[]): Promise<{ bytes: number; deflatedBytes: number }> {
  let deflatedBytes = 0;
  for (const file of files) deflatedBytes += deflateRawSync(await readFile(file), { level: 9 }).length;
  return { bytes: (await stat(files[0])).size, deflatedBytes };
}

/**
 * `cdk synth` of the real stack (every optional part on), bundling included: the bundles are exactly what would be
 * deployed, made by NodejsFunction with the options of lib/constructs/function-defaults.ts.
 */
export async function synthesizedFunctions(
  outdir: string,
  context: Record<string, string> = { clusterName: 'bench', allowedNamespaces: 'apps' },
): Promise<BundledFunction[]> {
  // With the documented backup example, so the backup-verification functions are measured too.
  const deployed = await deployedFunctions(outdir, { ...context, backupSources: BACKUP_EXAMPLE });
  return Promise.all(
    deployed.map(async (fn) => ({
      name: fn.name,
      entry: join(PROJECT_ROOT, 'lambdas', fn.name, 'handler.ts'),
      environment: fn.environment,
      talksToKubernetes: fn.talksToKubernetes,
      ours: {
        file: fn.file,
        ...(await packageSize([fn.file, `${fn.file}.map`])),
        carriesClientNode: fn.sources.some((source) => source.includes(CLIENT_NODE)),
        imports: [],
      },
    })),
  );
}

/** What the steps from the naive bundle towards ours add, one choice at a time. */
interface Choices {
  minify?: boolean;
  external?: string[];
}

/** The cold-import goals of issue 13: a Kubernetes-facing bundle, and any other. */
const GOAL_MS = { kubernetes: 120, other: 50 };

/**
 * The naive bundle: the same entry through `esbuild --bundle --platform=node --format=esm
 * --target=node24` and nothing else but the createRequire banner an ES-module bundle of
 * CommonJS dependencies needs to load at all (see the section's notes for why); `choices`
 * adds function-defaults.ts's choices back one by one.
 */
async function esbuildBundle(fn: BundledFunction, file: string, choices: Choices = {}): Promise<Bundle> {
  const result = await build({
    entryPoints: [fn.entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    banner: { js: REQUIRE_BANNER },
    ...choices,
    metafile: true,
    logLevel: 'error',
  });
  return {
    file,
    ...(await packageSize([file])),
    carriesClientNode: Object.keys(result.metafile.inputs).some((input) => input.includes(CLIENT_NODE)),
    imports: [],
  };
}

/**
 * Imports a bundle in a fresh Node (this one: the `node` package's 24, Lambda's version) with
 * the function's Lambda environment (NODE_OPTIONS=--enable-source-maps included), and returns
 * how long the import took inside that process: what a cold start spends loading the code.
 */
function coldImport(
  bundle: Bundle,
  environment: Record<string, string>,
  compileCache?: CompileCache,
): Promise<ImportTime> {
  const script = [
    'const start = performance.now();',
    'const cpu = process.cpuUsage();',
    `await import(${JSON.stringify(pathToFileURL(bundle.file).href)});`,
    'const used = process.cpuUsage(cpu);',
    'console.log(JSON.stringify({ wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 }));',
  ].join('\n');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        ...environment,
        ...(compileCache ? { NODE_COMPILE_CACHE: compileCache } : {}),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolvePromise(JSON.parse(stdout.trim().split('\n').pop()!) as ImportTime);
      else reject(new Error(`importing ${bundle.file} failed (exit ${code}):\n${stderr}`));
    });
  });
}

const kib = (bytes: number) => bytes / 1024;
const goalOf = (fn: BundledFunction) => (fn.talksToKubernetes ? GOAL_MS.kubernetes : GOAL_MS.other);
const wall = (bundle: Bundle) => summarize(bundle.imports.map((i) => i.wallMs));
const cpu = (bundle: Bundle) => summarize(bundle.imports.map((i) => i.cpuMs));
const mib = (bytes: number) => bytes / 2 ** 20;
const yesNo = (value: boolean) => (value ? 'yes' : 'no');

/** One step of the ladder from the naive bundle to ours, for one function. */
interface Rung {
  label: string;
  bundle: Bundle;
  environment: Record<string, string>;
  compileCache?: CompileCache;
}

/** The function the ladder is measured on: a Kubernetes one, where the bundle is biggest. */
const LADDER_FUNCTION = 'guard';

/**
 * Fills a V8 compile cache for `bundle` by importing it once, as a cache shipped with the
 * package would have been filled at build time.
 */
async function fillCompileCache(bundle: Bundle, environment: Record<string, string>, dir: string) {
  await coldImport(bundle, environment, dir);
  return dir;
}

/**
 * The naive bundle of `fn`, then function-defaults.ts's choices added one at a time, up to
 * ours, and then a compile cache, measured but not shipped (see the section's notes): which
 * choice moves size and import time, and by how much.
 */
async function ladder(fn: BundledFunction, outdir: string): Promise<Rung[]> {
  const dir = join(outdir, 'ladder', fn.name);
  const { NODE_OPTIONS: _sourceMaps, ...withoutSourceMaps } = fn.environment;
  return [
    { label: 'naive', bundle: fn.naive!, environment: fn.environment },
    {
      label: '+ minified (SDK clients bundled, as ours)',
      bundle: await esbuildBundle(fn, join(dir, 'minified', 'index.mjs'), { minify: true }),
      environment: fn.environment,
    },
    {
      label: 'minified, `@aws-sdk/client-*` left to the runtime (the choice before issue 13)',
      bundle: await esbuildBundle(fn, join(dir, 'external', 'index.mjs'), {
        minify: true,
        external: ['@aws-sdk/client-*'],
      }),
      environment: fn.environment,
    },
    {
      label: '+ source map shipped, `--enable-source-maps` off',
      bundle: { ...fn.ours, imports: [] },
      environment: withoutSourceMaps,
    },
    {
      label: '+ `NODE_OPTIONS=--enable-source-maps` (ours, as deployed)',
      bundle: fn.ours,
      environment: fn.environment,
    },
    {
      label: '+ a V8 compile cache made on this machine (not shipped)',
      bundle: { ...fn.ours, imports: [] },
      environment: fn.environment,
      compileCache: await fillCompileCache(fn.ours, fn.environment, join(dir, 'compile-cache')),
    },
  ];
}

/**
 * Each Lambda's bundle as deployed against a naive bundle of the same entry: size, whether it
 * carries the Kubernetes client, and how long a fresh Node takes to import it.
 */
export async function benchLambdaBundles(): Promise<Section> {
  // Under the project, so that the SDK clients the bundles leave out resolve from its
  // node_modules, as they resolve from the Lambda runtime's own.
  const outdir = join(PROJECT_ROOT, 'cdk.out', `bench-bundles-${process.pid}`);
  const loadAtStart = os.loadavg()[0];
  let functions: BundledFunction[];
  let rungs: Rung[] = [];
  try {
    progress('bundles', 'cdk synth with bundling (esbuild, as deployed)');
    functions = await synthesizedFunctions(outdir);
    progress('bundles', `naive bundles of the same ${functions.length} entries`);
    for (const fn of functions)
      fn.naive = await esbuildBundle(fn, join(outdir, 'naive', fn.name, 'index.mjs'));
    const laddered = functions.find((fn) => fn.name === LADDER_FUNCTION);
    if (laddered) rungs = await ladder(laddered, outdir);
    // The table's naive and ours bundles are rungs too, measured once for both.
    const extraRungs = rungs.filter(
      (rung) => rung.bundle !== laddered?.naive && rung.bundle !== laddered?.ours,
    );
    for (let round = 1; round <= IMPORTS; round++) {
      progress('bundles', `cold imports, round ${round}/${IMPORTS}`);
      for (const fn of functions) {
        fn.ours.imports.push(await coldImport(fn.ours, fn.environment));
        fn.naive!.imports.push(await coldImport(fn.naive!, fn.environment));
      }
      for (const rung of extraRungs)
        rung.bundle.imports.push(await coldImport(rung.bundle, rung.environment, rung.compileCache));
    }
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }

  const misplaced = functions.filter((fn) => fn.ours.carriesClientNode !== fn.talksToKubernetes);
  const table: Table = {
    columns: [
      'function',
      'talks to Kubernetes',
      'carries @kubernetes/client-node (ours / naive)',
      'index.mjs KiB (ours / naive)',
      'package KiB deflated (ours / naive)',
      'cold import ms, ours: median (min–max)',
      'cold import ms, naive: median (min–max)',
      'import CPU ms, median (ours / naive)',
      'goal, ours within it',
    ],
    rows: functions.map((fn) => [
      fn.name,
      yesNo(fn.talksToKubernetes),
      `${yesNo(fn.ours.carriesClientNode)} / ${yesNo(fn.naive!.carriesClientNode)}`,
      `${kib(fn.ours.bytes).toFixed(0)} / ${kib(fn.naive!.bytes).toFixed(0)}`,
      `${kib(fn.ours.deflatedBytes).toFixed(0)} / ${kib(fn.naive!.deflatedBytes).toFixed(0)}`,
      medianAndRange(wall(fn.ours), 0),
      medianAndRange(wall(fn.naive!), 0),
      `${cpu(fn.ours).median.toFixed(0)} / ${cpu(fn.naive!).median.toFixed(0)}`,
      `≤ ${goalOf(fn)} ms: ${yesNo(wall(fn.ours).median <= goalOf(fn))}`,
    ]),
  };
  const ladderTable: Table = {
    columns: [
      `${LADDER_FUNCTION}: from naive to ours`,
      'index.mjs KiB',
      'package KiB deflated',
      'cold import ms: median (min–max)',
      'import CPU ms, median',
    ],
    rows: rungs.map((rung) => [
      rung.label,
      kib(rung.bundle.bytes).toFixed(0),
      kib(rung.bundle.deflatedBytes).toFixed(0),
      medianAndRange(wall(rung.bundle), 0),
      cpu(rung.bundle).median.toFixed(0),
    ]),
  };
  const total = (pick: (fn: BundledFunction) => number) => functions.reduce((sum, fn) => sum + pick(fn), 0);
  const medianOver = (of: (bundle: Bundle) => Summary, pick: (fn: BundledFunction) => Bundle) =>
    summarize(functions.map((fn) => of(pick(fn)).median)).median;
  return {
    title: 'Lambda bundles',
    setup:
      `\`npm run bench\`: \`cdk synth\` of the stack with bundling (the deployed bundles: ES module, node24, ` +
      `minified, source map without sources, nothing external), against a naive bundle ` +
      `of the same entry. Cold import: a fresh Node ${process.version} process with the function's Lambda ` +
      `environment imports the bundle; the wall and CPU (user + system) time of the \`import()\` inside it, ` +
      `${IMPORTS} processes per bundle, interleaved.`,
    figures: [
      {
        name: `all ${functions.length} functions, index.mjs (ours)`,
        value: mib(total((fn) => fn.ours.bytes)),
        unit: 'MiB',
        note: `naive: ${mib(total((fn) => fn.naive!.bytes)).toFixed(1)} MiB`,
      },
      {
        name: `all ${functions.length} functions, packages deflated (ours)`,
        value: mib(total((fn) => fn.ours.deflatedBytes)),
        unit: 'MiB',
        note: `naive: ${mib(total((fn) => fn.naive!.deflatedBytes)).toFixed(1)} MiB`,
      },
      {
        name: 'cold import, median over functions (ours)',
        value: medianOver(wall, (fn) => fn.ours),
        unit: 'ms',
        note: `naive: ${medianOver(wall, (fn) => fn.naive!).toFixed(1)} ms; import CPU ${medianOver(cpu, (fn) => fn.ours).toFixed(0)} ms, naive ${medianOver(cpu, (fn) => fn.naive!).toFixed(0)} ms`,
      },
      {
        name: 'bundles within their cold-import goal',
        value: functions.filter((fn) => wall(fn.ours).median <= goalOf(fn)).length,
        unit: 'functions',
        note:
          `of ${functions.length}: Kubernetes-facing ≤ ${GOAL_MS.kubernetes} ms, others ≤ ${GOAL_MS.other} ms ` +
          `(median wall); 1-minute load average ${loadAtStart.toFixed(1)} at the start, ` +
          `${os.loadavg()[0].toFixed(1)} at the end`,
      },
      {
        name: 'functions that do not talk to Kubernetes but carry its client',
        value: functions.filter((fn) => !fn.talksToKubernetes && fn.ours.carriesClientNode).length,
        unit: 'functions',
        note: misplaced.length
          ? `mismatch: ${misplaced.map((fn) => fn.name).join(', ')}`
          : `of ${functions.filter((fn) => !fn.talksToKubernetes).length} without Kubernetes access`,
      },
    ],
    tables: rungs.length ? [table, ladderTable] : [table],
    notes: [
      '"Naive" is `esbuild lambdas/<fn>/handler.ts --bundle --platform=node --format=esm --target=node24` plus ' +
        'the `createRequire` banner, without which an ES-module bundle of CommonJS dependencies cannot load Node ' +
        'built-ins and fails at import: the least that produces a bundle that loads, everything else left at ' +
        "esbuild's defaults. It differs from ours in exactly the choices lib/constructs/function-defaults.ts makes: " +
        'minification and a source map. Both are tree-shaken (esbuild always tree-shakes when it bundles) and both ' +
        'start from the same entry, so they pull in the same modules of ours: which functions carry the ' +
        'Kubernetes client, or an AWS client, is decided by the imports (one wiring module per client: ' +
        'wiring.ts for S3, notify-wiring.ts for SNS and Secrets Manager, kubernetes-wiring.ts for EKS and ' +
        'client-node, per-container.ts with no client), not by the bundler.',
      'The SDK clients are bundled (tree-shaken to the commands a step sends, one file) instead of loaded from ' +
        "the runtime's node_modules (hundreds of files): the ladder's second and third rungs measure that " +
        'choice. "Talks to Kubernetes" is read from the function\'s environment: it has the cluster settings ' +
        '(CLUSTER_NAME) exactly when its handler builds a Kubernetes client. "Package deflated" is the files of ' +
        'the deployment package each deflated at level 9, about what the zip holds.',
      "The compile cache rung is Node's `NODE_COMPILE_CACHE` (the same as `module.enableCompileCache()`) " +
        'filled by one import beforehand. It is measured, not shipped: Node keeps the cache in a directory named ' +
        'after its exact version and CPU architecture and ignores any other, and the functions run on ARM64 ' +
        "under the runtime's Node 24 release of the day, while a bundle is built on whatever machine runs " +
        '`cdk deploy` (this one is x64): a cache made at build time would be read by no cold start. Made in ' +
        "the function's /tmp at its first start, it would serve only warm starts, which need no compilation.",
      'What the time goes to (V8 CPU profile of a cold import): compiling the one large module (V8 parses ' +
        'all of it before running it) and Node loading the built-in modules the dependencies require ' +
        '(http2, zlib, assert, crypto); the generated client of client-node alone (the request factories and ' +
        'wrappers of the API groups used, plus the model serializer, which references every one of its ~900 ' +
        'model classes) is about half of a Kubernetes bundle, and undici (its HTTP client) a fifth.',
    ],
  };
}
