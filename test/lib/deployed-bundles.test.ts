import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { lambdaV8Flags } from '../../lib/bundling/lambda-v8-flags';
import { cachedDefinitions } from '../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../lib/synth';
import { startLocalAws, type LocalAws } from '../../local/aws/local-aws';
import { executeDefinition, type LocalExecution } from '../../local/engine/execute-definition';
import { types } from '../../local/kube-sandbox/runtime';
import { startSandbox, type Sandbox } from '../../local/kube-sandbox/sandbox';
import {
  alertmanagerDelivery,
  awsServiceStubs,
  deliverToDeployedStack,
  deployedFunctions,
  deployedTaskFunctions,
  functionEnvironment,
  invokeDeployed,
  tlsFront,
  type ClusterFront,
  type ColdResult,
  type DeployedFunction,
} from '../../local/lambda-runtime/deployed-stack';

/**
 * The deployed bundles, built once as `cdk synth` stages them (every optional part on: the backup
 * workflow too), and run as Lambda runs them: each invocation a fresh Node 24 process through a
 * Lambda Runtime API (local/lambda-runtime), with the environment the template gives the function,
 * its endpoints pointed at the sandbox (behind TLS, as EKS) and fauxqs. The Step Functions and
 * Secrets Manager calls go to a stub speaking their protocol (fauxqs has neither). Nothing here
 * imports a handler's source: what runs is what would be uploaded.
 */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const OUTDIR = path.join(PROJECT_ROOT, 'cdk.out', `jest-deployed-${process.pid}`);
const TOKEN = 'deployed-bundles-webhook-token';
const V8_CACHE_LOADER = path.join(PROJECT_ROOT, 'lib', 'bundling', 'v8-cache-loader.cjs');
/** Makes the loader say whether V8 took the bundle's cache. */
const V8_CACHE_REPORT = { EKS_INCIDENT_V8_CACHE_REPORT: '1' };
const TIME_SCALE = 200;
const TARGET = { namespace: 'one-data-alldata', name: 'alldata-api' };
const CONTEXT = {
  clusterName: 'sandbox',
  allowedNamespaces: 'one-data-alldata,one-data-system,one-data-bisheng,one-data-infra',
  backupSources: path.join(PROJECT_ROOT, 'examples', 'backup-sources.json'),
  // Rollbacks run without asking here, so the rollback bundle runs on the flow's own path.
  remediationPolicy: JSON.stringify({ default: { restart: 'auto', rollback: 'auto' } }),
};
/** Every handler the project has: each must be a deployed function. */
const HANDLERS = readdirSync(path.join(PROJECT_ROOT, 'lambdas'), { withFileTypes: true })
  .filter(
    (entry) =>
      entry.isDirectory() && readdirSync(path.join(entry.parentPath, entry.name)).includes('handler.ts'),
  )
  .map((entry) => entry.name)
  .sort();

let functions: Map<string, DeployedFunction>;
let synthesized: SynthesizedDefinitions;
let aws: LocalAws;
let scratch: string;
/** Each function's cold invocations in the flows below, by handler folder. */
const answers = new Map<string, ColdResult[]>();

beforeAll(async () => {
  functions = new Map((await deployedFunctions(OUTDIR, CONTEXT)).map((fn) => [fn.name, fn]));
  synthesized = cachedDefinitions(CONTEXT);
  aws = await startLocalAws();
  scratch = await mkdtemp(path.join(tmpdir(), 'deployed-bundles-'));
}, 600_000);

afterAll(async () => {
  await aws?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
  rmSync(OUTDIR, { recursive: true, force: true });
});

function bundleOf(name: string): DeployedFunction {
  const fn = functions.get(name);
  if (!fn) throw new Error(`lambdas/${name}/handler.ts is not a deployed function`);
  return fn;
}

function recordAnswer(name: string, answer: ColdResult): void {
  answers.set(name, [...(answers.get(name) ?? []), answer]);
}

/**
 * Imports the package's entry in a fresh Node 24 (the Lambda runtime's version) started with
 * Lambda's V8 flags for the function's memory and with its environment, recording every package
 * the bundle loads from outside itself (Node built-ins aside) and whether V8 took its cache.
 */
function loadBundle(fn: DeployedFunction): {
  status: number | null;
  stderr: string;
  v8Cache?: string;
  handler?: string;
  external?: string[];
} {
  const url = pathToFileURL(fn.bundle).href;
  const script = [
    "import { createRequire, isBuiltin, registerHooks } from 'node:module';",
    'const external = new Set();',
    // Only what the bundle itself loads (not what the SDK clients load in turn), and only what
    // resolved: optional dependencies probed inside try/catch are not needed.
    'registerHooks({ resolve(specifier, context, next) {',
    '  const resolved = next(specifier, context);',
    `  if (context.parentURL === ${JSON.stringify(url)} && !isBuiltin(specifier)) external.add(specifier);`,
    '  return resolved;',
    '} });',
    // index.js is CommonJS: the runtime requires it, as here.
    `const bundle = createRequire(import.meta.url)(${JSON.stringify(fn.file)});`,
    'console.log(JSON.stringify({ handler: typeof bundle.handler, external: [...external].sort() }));',
  ].join('\n');
  const result = spawnSync(
    process.execPath,
    [...lambdaV8Flags(fn.memorySize), '--input-type=module', '-e', script],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...fn.environment, ...V8_CACHE_REPORT },
      timeout: 60_000,
    },
  );
  const output =
    result.status === 0 ? (JSON.parse(result.stdout) as { handler: string; external: string[] }) : {};
  const report = /^v8-cache: (.*)\n/m.exec(result.stderr);
  return {
    status: result.status,
    stderr: result.stderr.replace(/^v8-cache: .*\n/m, ''),
    v8Cache: report?.[1],
    ...output,
  };
}

describe('every handler is deployed as a bundle', () => {
  it('has one deployed function per lambdas/<step>/handler.ts', () => {
    expect([...functions.keys()].sort()).toEqual(HANDLERS);
  });

  describe.each(HANDLERS.map((name) => [name]))('the %s bundle', (name) => {
    it('is one CommonJS bundle behind the V8-cache loader, ASCII only, with its cache, its licence notices and a source map without sources', () => {
      // Act
      const fn = bundleOf(name);
      const map = JSON.parse(readFileSync(`${fn.bundle}.map`, 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown;
      };

      // Assess
      expect(path.basename(fn.file)).toBe('index.js');
      expect(readFileSync(fn.file, 'utf8')).toBe(readFileSync(V8_CACHE_LOADER, 'utf8'));
      expect(readdirSync(path.dirname(fn.file)).filter((file) => file.endsWith('.v8cache'))).toHaveLength(1);
      expect(map.sources).toContainEqual(expect.stringContaining(`lambdas/${name}/handler.ts`));
      expect(map.sourcesContent).toBeUndefined();
      // ASCII: V8 holds it as a one-byte string (a two-byte one costs every cold start more).
      expect(readFileSync(fn.bundle).every((byte) => byte < 0x80)).toBe(true);
      expect(readFileSync(`${fn.bundle}.LEGAL.txt`, 'utf8')).toContain('License');
    });

    it('carries the Kubernetes client exactly when it talks to the cluster', () => {
      // Act
      const fn = bundleOf(name);

      // Assess
      expect(fn.sources.some((source) => source.includes('node_modules/@kubernetes/client-node/'))).toBe(
        fn.talksToKubernetes,
      );
    });

    it('loads in Node 24 as Lambda starts it, from its V8 cache, needing only the SDK clients Lambda provides', () => {
      // Act
      const loaded = loadBundle(bundleOf(name));

      // Assess
      expect({
        status: loaded.status,
        stderr: loaded.stderr,
        handler: loaded.handler,
        v8Cache: loaded.v8Cache,
      }).toEqual({ status: 0, stderr: '', handler: 'function', v8Cache: 'used' });
      expect(
        loaded.external?.filter((specifier) => !/^@aws-sdk\/client-[a-z0-9-]+$/.test(specifier)),
      ).toEqual([]);
    });
  });
});

async function evidenceKeys(prefix: string): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!);
}

describe('the deployed bundles run the workflows against the sandbox and the local S3/SNS', () => {
  let sandbox: Sandbox;
  let front: ClusterFront;

  beforeAll(async () => {
    sandbox = await startSandbox({ scenario: 'demo', clock: { timeScale: TIME_SCALE } });
    front = await tlsFront(sandbox, scratch);
    await sandbox.settle();
  });

  afterAll(async () => {
    front?.close();
    await sandbox?.stop();
  });

  /** The delivery handed to the intake bundle, and the execution it starts, run through the step bundles. */
  async function deliver(
    labels: Parameters<typeof alertmanagerDelivery>[0],
  ): Promise<{ intake: ColdResult; done?: LocalExecution; entered: string[] }> {
    const { intake, execution: done } = await deliverToDeployedStack({
      synthesized,
      functions,
      aws,
      cluster: front,
      token: TOKEN,
      delivery: alertmanagerDelivery(labels, TOKEN),
      timeScale: TIME_SCALE,
      onAnswer: recordAnswer,
    });
    const entered = (done?.events ?? [])
      .filter((e) => e.type === 'StateEntered')
      .map((e) => (e as { state: { name: string } }).state.name);
    return { intake, done, entered };
  }

  it('an Alertmanager delivery to the intake bundle runs the incident flow through every step bundle to the restart', async () => {
    // Prepare
    sandbox.requests.clear();

    // Act
    const { intake, done, entered } = await deliver({
      alertname: 'KubeDeploymentReplicasMismatch',
      namespace: TARGET.namespace,
      deployment: TARGET.name,
      severity: 'critical',
    });

    // Assess
    expect(intake).toMatchObject({ ok: true, result: { statusCode: 200 } });
    expect(done?.status).toBe('SUCCEEDED');
    expect(entered).toEqual(
      expect.arrayContaining([
        'Quick Diagnostics',
        'Collect Events',
        'Restart',
        'Notify Recovered',
        'Report',
      ]),
    );
    const restart = sandbox.requests
      .all()
      .find(
        (r) => r.verb === 'patch' && r.resource === 'deployments' && r.name === TARGET.name && !r.subresource,
      );
    expect(restart).toBeDefined();
    const incident = (await evidenceKeys('incidents/')).filter((key) => key.includes(TARGET.name));
    expect(incident).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/diagnostics\.json$/),
        expect.stringMatching(/report\.json$/),
      ]),
    );
    for (const step of Object.keys(synthesized.placeholders.functions).filter((s) => answers.has(s))) {
      expect({ step, failed: answers.get(step)!.filter((a) => !a.ok) }).toEqual({ step, failed: [] });
    }
  }, 180_000);

  it('an alert naming only a namespace runs the escalation path: the cluster dump and escalate bundles', async () => {
    // Act
    const { intake, done, entered } = await deliver({
      alertname: 'KubePodNotReady',
      namespace: 'one-data-system',
      severity: 'warning',
    });

    // Assess
    expect(intake).toMatchObject({ ok: true, result: { statusCode: 200 } });
    expect({ status: done?.status, error: done?.error?.Error }).toEqual({
      status: 'FAILED',
      error: 'IncidentEscalated',
    });
    expect(entered).toEqual(expect.arrayContaining(['Cluster Dump', 'Escalate', 'Report']));
    for (const step of ['cluster-dump', 'escalate']) {
      expect({ step, answered: (answers.get(step) ?? []).map((a) => a.ok) }).toEqual({
        step,
        answered: [true],
      });
    }
    const dump = (await evidenceKeys('incidents/')).filter((key) => key.includes('/cluster-dump/'));
    expect(dump.length).toBeGreaterThan(0);
  }, 180_000);

  it('a pod alert is followed to its Deployment, whose broken rollout is rolled back through the rollback bundle', async () => {
    // Prepare: an alert naming only a pod, so the intake bundle loads its Kubernetes client on
    // this first use (cluster-owner-lookup.ts, a lazy import) and follows the owners.
    sandbox.requests.clear();
    const pod = sandbox.store
      .list(types.pods, 'one-data-system')
      .find((p) => p.metadata.name?.startsWith('agent-api-'))!.metadata.name!;

    // Act
    const { intake, entered } = await deliver({
      alertname: 'KubePodCrashLooping',
      namespace: 'one-data-system',
      pod,
      severity: 'critical',
    });

    // Assess
    expect(intake).toMatchObject({ ok: true, result: { statusCode: 200 } });
    expect(
      sandbox.requests.all().some((r) => r.verb === 'get' && r.resource === 'pods' && r.name === pod),
    ).toBe(true);
    expect(entered).toEqual(expect.arrayContaining(['Rollback', 'Report']));
    expect((answers.get('rollback') ?? []).map((a) => a.ok)).toEqual([true]);
    const undo = sandbox.requests
      .all()
      .find((r) => r.verb === 'patch' && r.resource === 'deployments' && r.name === 'agent-api');
    expect(undo).toBeDefined();
  }, 180_000);

  it('the approval bundle answers an approval link it did not sign with 401 and a page', async () => {
    // Prepare
    const fn = bundleOf('approval');
    const services = await awsServiceStubs({ secret: TOKEN, onStart: () => 'not-used' });
    const path = '/approvals/20261203-000000-one-data-alldata-alldata-api-000000/restart';

    try {
      // Act
      const answer = await invokeDeployed(fn, functionEnvironment(fn, aws, front, services.url), {
        version: '2.0',
        routeKey: 'GET /approvals/{incident}/{action}',
        rawPath: path,
        rawQueryString: `decision=approve&nonce=n1&expires=${Math.floor(Date.now() / 1000) + 600}&sig=forged`,
        headers: { host: 'approvals.local.invalid' },
        requestContext: { http: { method: 'GET', path } },
        isBase64Encoded: false,
      });
      recordAnswer('approval', answer);

      // Assess
      expect(answer).toMatchObject({ ok: true, result: { statusCode: 401 } });
    } finally {
      services.server.close();
    }
  });

  it('the backup verification flow runs through its bundles to its verdict and report', async () => {
    // Prepare
    const { region, account, backupFunctions } = synthesized.placeholders;
    const services = await awsServiceStubs({ secret: TOKEN, onStart: () => 'not-used' });
    const environmentOf = (fn: DeployedFunction) => functionEnvironment(fn, aws, front, services.url);

    try {
      // Act
      const done = await executeDefinition({
        definition: synthesized.backupVerification!,
        stateMachineName: 'BackupVerification',
        region,
        account,
        functions: deployedTaskFunctions(backupFunctions!, functions, environmentOf, recordAnswer),
        sns: { client: aws.sns, topicArn: aws.topicArn },
        input: { source: 'manual' },
        waitSeconds: 30,
        timeScale: TIME_SCALE,
      });

      // Assess
      // The demo's milvus-backup CronJob fails and no backup bucket exists: the verdict is the
      // workflow's own failure, reached through every check and the report.
      expect({ status: done.status, error: done.error?.Error }).toEqual({
        status: 'FAILED',
        error: 'BackupVerificationFailed',
      });
      for (const step of Object.keys(backupFunctions!)) {
        expect({ step, answered: (answers.get(step) ?? []).some((a) => a.ok) }).toEqual({
          step,
          answered: true,
        });
      }
      expect(await evidenceKeys('backup-verification/')).toEqual(
        expect.arrayContaining([expect.stringMatching(/report\.json$/)]),
      );
    } finally {
      services.server.close();
    }
  }, 180_000);

  it('every deployed function ran in the flows above and answered', () => {
    expect([...functions.keys()].filter((name) => !(answers.get(name) ?? []).some((a) => a.ok))).toEqual([]);
  });
});
