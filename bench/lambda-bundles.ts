import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { lambdaV8Flags } from '../lib/bundling/lambda-v8-flags';
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
  /** The V8 flags Lambda starts node with for the function's memory (what its V8 cache was made under). */
  v8Flags: string[];
  ours: Bundle;
  /** Ours again, started without Lambda's V8 flags: V8 rejects the cache, as another runtime's would. */
  oursCacheRejected?: Bundle;
  naive?: Bundle;
}

export interface Bundle {
  /** What the import loads: index.js of ours (the V8-cache loader), index.mjs of the others. */
  file: string;
  /** The code alone: bundle.js of ours, index.mjs of the others. */
  bytes: number;
  /** Every file of the package (ours ships a source map and a V8 cache too), deflated as in the zip Lambda receives. */
  deflatedBytes: number;
  carriesClientNode: boolean;
  imports: ImportTime[];
}

/** One cold import: wall time, and the CPU it took (which other load on the machine disturbs less). */
interface ImportTime {
  wallMs: number;
  cpuMs: number;
}

/** `code`'s size, and every file of `files` deflated. */
async function packageSize(code: string, files: string[]): Promise<{ bytes: number; deflatedBytes: number }> {
  let deflatedBytes = 0;
  for (const file of files) deflatedBytes += deflateRawSync(await readFile(file), { level: 9 }).length;
  return { bytes: (await stat(code)).size, deflatedBytes };
}

async function filesOf(directory: string): Promise<string[]> {
  return (await readdir(directory)).map((name) => join(directory, name));
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
      v8Flags: lambdaV8Flags(fn.memorySize),
      ours: {
        file: fn.file,
        ...(await packageSize(fn.bundle, await filesOf(dirname(fn.file)))),
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
  sourcemap?: boolean;
  sourcesContent?: boolean;
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
    ...(await packageSize(file, choices.sourcemap ? [file, `${file}.map`] : [file])),
    carriesClientNode: Object.keys(result.metafile.inputs).some((input) => input.includes(CLIENT_NODE)),
    imports: [],
  };
}

/**
 * Imports a bundle in a fresh Node (this one: the `node` package's 24, Lambda's version) with
 * the function's Lambda environment and `v8Flags` (Lambda's for the function's memory, which its
 * V8 cache was made under), and returns how long the import took inside that process: what a
 * cold start spends loading the code.
 */
function coldImport(
  bundle: Bundle,
  environment: Record<string, string>,
  v8Flags: string[],
): Promise<ImportTime> {
  const script = [
    'const start = performance.now();',
    'const cpu = process.cpuUsage();',
    `await import(${JSON.stringify(pathToFileURL(bundle.file).href)});`,
    'const used = process.cpuUsage(cpu);',
    'console.log(JSON.stringify({ wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 }));',
  ].join('\n');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...v8Flags, '--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        ...environment,
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
  v8Flags: string[];
}

/** The function the ladder is measured on: a Kubernetes one, where the bundle is biggest. */
const LADDER_FUNCTION = 'guard';

/**
 * The naive bundle of `fn`, then the choices of lib/constructs/function-defaults.ts added one at
 * a time, up to ours: which choice moves size and import time, and by how much.
 */
async function ladder(fn: BundledFunction, outdir: string): Promise<Rung[]> {
  const dir = join(outdir, 'ladder', fn.name);
  const sourceMaps = { ...fn.environment, NODE_OPTIONS: '--enable-source-maps' };
  return [
    { label: 'naive', bundle: fn.naive!, environment: fn.environment, v8Flags: fn.v8Flags },
    {
      label: '+ minified (SDK clients bundled, as ours)',
      bundle: await esbuildBundle(fn, join(dir, 'minified', 'index.mjs'), { minify: true }),
      environment: fn.environment,
      v8Flags: fn.v8Flags,
    },
    {
      label: 'minified, `@aws-sdk/client-*` left to the runtime (the choice before issue 13)',
      bundle: await esbuildBundle(fn, join(dir, 'external', 'index.mjs'), {
        minify: true,
        external: ['@aws-sdk/client-*'],
      }),
      environment: fn.environment,
      v8Flags: fn.v8Flags,
    },
    {
      label: '+ source map, `NODE_OPTIONS=--enable-source-maps` (ES module: as deployed before the V8 cache)',
      bundle: await esbuildBundle(fn, join(dir, 'source-map', 'index.mjs'), {
        minify: true,
        sourcemap: true,
        sourcesContent: false,
      }),
      environment: sourceMaps,
      v8Flags: fn.v8Flags,
    },
    {
      label: 'CommonJS behind the V8-cache loader, its cache rejected (ours under other V8 flags)',
      bundle: fn.oursCacheRejected!,
      environment: fn.environment,
      v8Flags: [],
    },
    {
      label: '+ its V8 cache taken (ours, as deployed)',
      bundle: fn.ours,
      environment: fn.environment,
      v8Flags: fn.v8Flags,
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
    for (const fn of functions) {
      fn.naive = await esbuildBundle(fn, join(outdir, 'naive', fn.name, 'index.mjs'));
      fn.oursCacheRejected = { ...fn.ours, imports: [] };
    }
    const laddered = functions.find((fn) => fn.name === LADDER_FUNCTION);
    if (laddered) rungs = await ladder(laddered, outdir);
    // The table's bundles are rungs too, measured once for both.
    const extraRungs = rungs.filter(
      (rung) =>
        rung.bundle !== laddered?.naive &&
        rung.bundle !== laddered?.ours &&
        rung.bundle !== laddered?.oursCacheRejected,
    );
    for (let round = 1; round <= IMPORTS; round++) {
      progress('bundles', `cold imports, round ${round}/${IMPORTS}`);
      for (const fn of functions) {
        fn.ours.imports.push(await coldImport(fn.ours, fn.environment, fn.v8Flags));
        // Without Lambda's flags V8 rejects the cache, as it would under another runtime's.
        fn.oursCacheRejected!.imports.push(await coldImport(fn.oursCacheRejected!, fn.environment, []));
        fn.naive!.imports.push(await coldImport(fn.naive!, fn.environment, fn.v8Flags));
      }
      for (const rung of extraRungs)
        rung.bundle.imports.push(await coldImport(rung.bundle, rung.environment, rung.v8Flags));
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
      'code KiB (ours / naive)',
      'package KiB deflated (ours / naive)',
      'cold import ms, ours: median (min–max)',
      'cold import ms, ours with its V8 cache rejected',
      'cold import ms, naive: median (min–max)',
      'import CPU ms, median (ours / cache rejected / naive)',
      'goal, ours within it',
    ],
    rows: functions.map((fn) => [
      fn.name,
      yesNo(fn.talksToKubernetes),
      `${yesNo(fn.ours.carriesClientNode)} / ${yesNo(fn.naive!.carriesClientNode)}`,
      `${kib(fn.ours.bytes).toFixed(0)} / ${kib(fn.naive!.bytes).toFixed(0)}`,
      `${kib(fn.ours.deflatedBytes).toFixed(0)} / ${kib(fn.naive!.deflatedBytes).toFixed(0)}`,
      medianAndRange(wall(fn.ours), 0),
      medianAndRange(wall(fn.oursCacheRejected!), 0),
      medianAndRange(wall(fn.naive!), 0),
      `${cpu(fn.ours).median.toFixed(0)} / ${cpu(fn.oursCacheRejected!).median.toFixed(0)} / ${cpu(fn.naive!).median.toFixed(0)}`,
      `≤ ${goalOf(fn)} ms: ${yesNo(wall(fn.ours).median <= goalOf(fn))}`,
    ]),
  };
  const ladderTable: Table = {
    columns: [
      `${LADDER_FUNCTION}: from naive to ours`,
      'code KiB',
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
      `\`npm run bench\`: \`cdk synth\` of the stack with bundling (the deployed packages: one CommonJS ` +
      `bundle, node24, minified, nothing external, its source map without sources and its V8 code cache, ` +
      `loaded by lib/bundling/v8-cache-loader.cjs), against a naive bundle of the same entry. Cold import: a ` +
      `fresh Node ${process.version} process, started with the V8 flags Lambda's runtime uses for the ` +
      `function's memory and with the function's Lambda environment, imports the package's entry; the wall ` +
      `and CPU (user + system) time of the \`import()\` inside it, ${IMPORTS} processes per bundle, ` +
      `interleaved. "Cache rejected": ours again, started without those flags, so that V8 refuses the cache ` +
      `as it would under any runtime other than the one that made it.`,
    figures: [
      {
        name: `all ${functions.length} functions, code (ours: bundle.js)`,
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
        note:
          `its V8 cache rejected: ${medianOver(wall, (fn) => fn.oursCacheRejected!).toFixed(1)} ms; ` +
          `naive: ${medianOver(wall, (fn) => fn.naive!).toFixed(1)} ms; import CPU ${medianOver(cpu, (fn) => fn.ours).toFixed(0)} ms, ` +
          `cache rejected ${medianOver(cpu, (fn) => fn.oursCacheRejected!).toFixed(0)} ms, naive ${medianOver(cpu, (fn) => fn.naive!).toFixed(0)} ms`,
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
        'minification, a source map, CommonJS behind the V8-cache loader. Both are tree-shaken (esbuild always tree-shakes when it bundles) and both ' +
        'start from the same entry, so they pull in the same modules of ours: which functions carry the ' +
        'Kubernetes client, or an AWS client, is decided by the imports (one wiring module per client: ' +
        'wiring.ts for S3, notify-wiring.ts for SNS and Secrets Manager, kubernetes-wiring.ts for EKS and ' +
        'client-node, per-container.ts with no client), not by the bundler.',
      'The SDK clients are bundled (tree-shaken to the commands a step sends, one file) instead of loaded from ' +
        "the runtime's node_modules (hundreds of files): the ladder's second and third rungs measure that " +
        'choice. "Talks to Kubernetes" is read from the function\'s environment: it has the cluster settings ' +
        '(CLUSTER_NAME) exactly when its handler builds a Kubernetes client. "Package deflated" is the files of ' +
        'the deployment package each deflated at level 9, about what the zip holds.',
      'The V8 cache (lib/bundling): at synth, make-v8-cache.mjs loads each bundle once in a child Node 24 ' +
        "started with the flags Lambda's bootstrap gives the function (`--expose-gc`, `--max-semi-space-size` and " +
        '`--max-old-space-size` from its memory) and ships what V8 compiled (`script.createCachedData()` after the ' +
        "bundle's top level ran) as `bundle.js.<crc32 of the bundle>.v8cache`; index.js compiles bundle.js through " +
        '`node:vm` with it. V8 takes a cache only from the same V8 version, CPU architecture and V8 flags: under ' +
        'other flags it rejects it (the "cache rejected" column) and compiles from source, which costs about what ' +
        "the ES module did. Node's own compile cache (`NODE_COMPILE_CACHE`, `module.enableCompileCache()`) cannot " +
        'be shipped: it is keyed by the absolute path of the file (/var/task on Lambda, cdk.out at synth) and kept ' +
        "in a directory named after the user id, which Lambda's is not; and `node:vm` compiles no ES module " +
        'without an experimental flag, hence CommonJS. On AWS the cache is taken only if the machine that runs ' +
        "`cdk synth` matches the runtime: ARM64 Linux and the runtime's Node 24 release (its V8); a cache made on " +
        'this x64 machine is rejected there and the function compiles as before. Made or not, taken or not, the ' +
        'function behaves the same (test/lib/bundling/v8-cache.test.ts).',
      'What the time goes to (V8 CPU profile of a cold import): compiling the one large module (V8 parses ' +
        'all of it before running it) and Node loading the built-in modules the dependencies require ' +
        '(http2, zlib, assert, crypto); the generated client of client-node alone (the request factories and ' +
        'wrappers of the API groups used, plus the model serializer, which references every one of its ~900 ' +
        'model classes) is about half of a Kubernetes bundle, and undici (its HTTP client) a fifth.',
    ],
  };
}
