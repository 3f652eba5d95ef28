import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { INCIDENT_STEPS, type IncidentStep } from '../../lib/incident-response-stack';
import { MINIMAL_CONTEXT, buildStack, type BuiltStack } from './stack-fixture';

/**
 * The real bundles, built once: ten esbuild runs of the actual handlers, as `cdk synth` makes
 * them. The bundles carry their SDK clients; the cloud assembly goes under the project's cdk.out
 * so that an external `@aws-sdk/client-*` import, should one come back, resolves as Lambda's
 * runtime would resolve it (the load test below allows only those).
 */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const OUTDIR = path.join(PROJECT_ROOT, 'cdk.out', `jest-bundling-${process.pid}`);
const WITHOUT_KUBERNETES: IncidentStep[] = ['notify', 'escalate', 'report'];

/** Stand-ins for the values CloudFormation fills in at deploy time. */
const DEPLOY_TIME_VALUES: Record<string, string> = {
  EVIDENCE_BUCKET: 'eks-incident-evidence-123',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:eks-incident-response-notifications',
};

let built: BuiltStack;

beforeAll(() => {
  built = buildStack(MINIMAL_CONTEXT, { bundle: true, outdir: OUTDIR });
}, 300_000);

afterAll(() => {
  rmSync(OUTDIR, { recursive: true, force: true });
});

function functionProperties(step: IncidentStep): Record<string, unknown> {
  const id = built.stack.getLogicalId(built.stack.functions[step].function.node.defaultChild as CfnFunction);
  return built.template.toJSON().Resources[id].Properties;
}

/** The staged bundle: the cloud assembly keeps each asset in `asset.<hash>`, uploaded as `<hash>.zip`. */
function assetDir(step: IncidentStep): string {
  const key = (functionProperties(step).Code as { S3Key: string }).S3Key;
  return path.join(OUTDIR, `asset.${key.replace(/\.zip$/, '')}`);
}

/** The function's environment as Lambda would set it, deploy-time references filled in. */
function lambdaEnvironment(step: IncidentStep): Record<string, string> {
  const variables = (functionProperties(step).Environment as { Variables: Record<string, unknown> })
    .Variables;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      if (DEPLOY_TIME_VALUES[name]) return [name, DEPLOY_TIME_VALUES[name]];
      throw new Error(`no stand-in for the deploy-time value of ${name}`);
    }),
  );
}

/**
 * Imports the bundle in a fresh Node 24 (the Lambda runtime's version) with the function's
 * environment, recording every package the bundle loads from outside itself (Node built-ins aside).
 */
function loadBundle(step: IncidentStep): {
  status: number | null;
  stderr: string;
  handler?: string;
  external?: string[];
} {
  const url = pathToFileURL(path.join(assetDir(step), 'index.mjs')).href;
  const script = [
    "import { isBuiltin, registerHooks } from 'node:module';",
    'const external = new Set();',
    // Only what the bundle itself loads (not what the SDK clients load in turn), and only what
    // resolved: optional dependencies probed inside try/catch are not needed.
    'registerHooks({ resolve(specifier, context, next) {',
    '  const resolved = next(specifier, context);',
    `  if (context.parentURL === ${JSON.stringify(url)} && !isBuiltin(specifier)) external.add(specifier);`,
    '  return resolved;',
    '} });',
    `const bundle = await import(${JSON.stringify(url)});`,
    'console.log(JSON.stringify({ handler: typeof bundle.handler, external: [...external].sort() }));',
  ].join('\n');
  const result = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...lambdaEnvironment(step) },
    timeout: 60_000,
  });
  const output =
    result.status === 0 ? (JSON.parse(result.stdout) as { handler: string; external: string[] }) : {};
  return { status: result.status, stderr: result.stderr, ...output };
}

describe.each(INCIDENT_STEPS.map((step) => [step]))('the %s bundle', (step) => {
  it('is an ES module with a source map and no inlined sources', () => {
    // Act
    const map = JSON.parse(readFileSync(path.join(assetDir(step), 'index.mjs.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown;
    };

    // Assess
    expect(existsSync(path.join(assetDir(step), 'index.mjs'))).toBe(true);
    expect(map.sources).toContainEqual(expect.stringContaining(`lambdas/${step}/handler.ts`));
    expect(map.sourcesContent).toBeUndefined();
  });

  it(`${WITHOUT_KUBERNETES.includes(step) ? 'does not carry' : 'carries'} the Kubernetes client`, () => {
    // Act
    const { sources } = JSON.parse(readFileSync(path.join(assetDir(step), 'index.mjs.map'), 'utf8')) as {
      sources: string[];
    };

    // Assess
    expect(sources.some((source) => source.includes('node_modules/@kubernetes/client-node/'))).toBe(
      !WITHOUT_KUBERNETES.includes(step),
    );
  });

  it('loads in Node 24 with its Lambda environment, needing only the SDK clients Lambda provides', () => {
    // Act
    const loaded = loadBundle(step);

    // Assess
    expect({ status: loaded.status, stderr: loaded.stderr, handler: loaded.handler }).toEqual({
      status: 0,
      stderr: '',
      handler: 'function',
    });
    expect(loaded.external?.filter((specifier) => !/^@aws-sdk\/client-[a-z0-9-]+$/.test(specifier))).toEqual(
      [],
    );
  });
});
