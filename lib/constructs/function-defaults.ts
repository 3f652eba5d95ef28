import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { ConfigurationError } from '../../lambdas/shared/errors';
import type { EnvOf } from '../../lambdas/shared/env';
import { DEFAULT_LOG_LEVEL, type FunctionLogLevel } from '../../lambdas/shared/observability/log-levels';
import { METRICS_NAMESPACE } from '../../lambdas/shared/observability/metric-names';
import { lambdaV8Flags } from '../bundling/lambda-v8-flags';

/**
 * The one place that sets how the workflow's functions are built and run. Every Lambda of
 * the stack is an IncidentFunction; a step only says which handler, which environment (typed
 * by its zod schema) and how long it may run.
 */

/** Where `lambdas/<step>/handler.ts` live. */
export const LAMBDAS_DIR = path.resolve(__dirname, '..', '..', 'lambdas');

/** Where a function runs inside a VPC (clusters with a private API endpoint). */
export interface FunctionVpcPlacement {
  readonly vpc: IVpc;
  readonly subnets: ISubnet[];
  /** @default - one security group per function, egress only */
  readonly securityGroups?: ISecurityGroup[];
}

export interface IncidentFunctionProps<S extends z.ZodObject> {
  /** The directory under `lambdas/`: the entry is `lambdas/<step>/handler.ts`, export `handler`. */
  readonly step: string;
  /**
   * The function's environment schema (lambdas/shared/env.ts). The handler parses
   * `process.env` with it at cold start; here it types `environment` and checks, at synth
   * time, every value that is already known (values that are deploy-time tokens are checked
   * by the handler).
   */
  readonly envSchema: S;
  /** The function's environment, exactly what its schema reads. */
  readonly environment: EnvOf<S>;
  /**
   * What this function is for, shown in the console.
   * @default - none
   */
  readonly description?: string;
  /**
   * The function's timeout; the state machine's TimeoutSeconds adds a margin to it.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (CPU scales with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Concurrent executions reserved for (and capping) the function.
   * @default - none: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long the function's log group keeps logs.
   * @default RetentionDays.THREE_MONTHS (as long as the evidence, by default)
   */
  readonly logRetention?: RetentionDays;
  /**
   * Run inside a VPC.
   * @default - no VPC
   */
  readonly vpcPlacement?: FunctionVpcPlacement;
  /**
   * Files written next to the bundled handler (name → content), e.g. the user's rules file:
   * they ship in the same asset, so the code and its data change together.
   * @default - none
   */
  readonly files?: Record<string, string>;
}

/** Shell-quotes a path for the bundling command hooks. */
function quoted(file: string): string {
  return `'${file.replaceAll("'", "'\\''")}'`;
}

/** After esbuild: copies `files` into the package, then makes it the V8-cached package. */
function afterBundlingHooks(files: Record<string, string>, memorySize: number) {
  const staged = mkdtempSync(path.join(tmpdir(), 'eks-incident-files-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(staged, name), text);
  return {
    beforeBundling: (): string[] => [],
    beforeInstall: (): string[] => [],
    afterBundling: (_input: string, output: string): string[] => [
      ...Object.keys(files).map(
        (name) => `cp ${quoted(path.join(staged, name))} ${quoted(path.join(output, name))}`,
      ),
      // This Node (the npm scripts' Node 24, the runtime's major) makes the cache.
      [process.execPath, MAKE_V8_CACHE, output, ...lambdaV8Flags(memorySize)].map(quoted).join(' '),
    ],
  };
}

/** lib/bundling/make-v8-cache.mjs: see there, and v8-cache-loader.cjs beside it. */
const MAKE_V8_CACHE = path.resolve(__dirname, '..', 'bundling', 'make-v8-cache.mjs');

/**
 * Node.js 24 on ARM (cheaper per GB-second, and every dependency is pure JavaScript), X-Ray
 * tracing, its own log group with a retention, its own role (no managed policy but, in a VPC,
 * the ENI one: each step is granted exactly what it uses), and an esbuild bundle that runs
 * with source maps.
 *
 * Bundling: one CommonJS file (`bundle.js`, `@kubernetes/client-node` included although it is
 * ESM-only: esbuild converts it), loaded by `index.js`, lib/bundling/v8-cache-loader.cjs, with the
 * V8 code cache lib/bundling/make-v8-cache.mjs makes at synth time: a cold start then skips most
 * of compiling the bundle, when the runtime's V8 takes the cache (same V8 version, CPU
 * architecture and flags as the synth machine's Node 24; otherwise the bundle compiles as without
 * one). CommonJS because only node:vm takes a cache made elsewhere (Node's own compile cache is
 * keyed by the file's absolute path and the user id), and node:vm compiles no ES module without
 * an experimental flag. The source map is shipped without the sources; the loader maps stack
 * traces with it when one is formatted (NODE_OPTIONS=--enable-source-maps would parse it at every
 * cold start and does not see code node:vm compiles).
 *
 * Nothing is external, the AWS SDK clients included although the runtime ships them: a bundled
 * client is tree-shaken to the commands the step sends and loads from one file, where the
 * runtime's loads from hundreds (bench/results.md, "Lambda bundles", measures the difference),
 * and a function never depends on which SDK release a runtime update carries. A function whose
 * code does not import the Kubernetes client, or an AWS client, does not carry it: esbuild
 * bundles only what the handler imports (test/lib/deployed-bundles.test.ts checks it).
 */
export class IncidentFunction<S extends z.ZodObject> extends Construct {
  readonly function: NodejsFunction;
  /** The function's own role: the stack grants each step what it uses, and nothing else. */
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: IncidentFunctionProps<S>) {
    super(scope, id);
    const environment = checkedEnvironment(this, props.envSchema, props.environment);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      // Kept when the stack is deleted or replaced, but removed with a first deploy that failed.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.step} step of the incident-response workflow`,
    });
    this.logGroup.grantWrite(this.role);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which do not support ' +
        'resource-level permissions; that statement is the only one with Resource "*".',
    });
    if (props.vpcPlacement) {
      this.role.addManagedPolicy(
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      );
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'A function in a VPC must create and delete its network interfaces; the EC2 ENI actions ' +
          'this AWS-maintained policy grants do not support resource-level permissions.',
      });
    }

    const memorySize = props.memorySize ?? 512;
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(LAMBDAS_DIR, props.step, 'handler.ts'),
      // Found from the working directory otherwise: synthesis (the CLI's included) must not
      // depend on where it is started.
      depsLockFilePath: path.join(LAMBDAS_DIR, '..', 'package-lock.json'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      vpc: props.vpcPlacement?.vpc,
      vpcSubnets: props.vpcPlacement ? { subnets: props.vpcPlacement.subnets } : undefined,
      securityGroups: props.vpcPlacement?.securityGroups,
      environment: {
        ...environment,
        // Powertools (lambdas/shared/observability): the stack's name as `service` on every log
        // entry and metric, so deployments sharing an account stay apart; setFunctionLogLevel
        // changes the level.
        POWERTOOLS_SERVICE_NAME: Stack.of(this).stackName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: DEFAULT_LOG_LEVEL,
      },
      bundling: {
        format: OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // Stack traces map to file:line without shipping the sources themselves.
        sourcesContent: false,
        // NodejsFunction leaves `@aws-sdk/*` to the runtime unless told otherwise.
        externalModules: [],
        // The dependencies' licence notices go to bundle.js.LEGAL.txt beside the bundle, which
        // stays ASCII (some notices are not; see lib/bundling/v8-cache-loader.cjs).
        esbuildArgs: { '--legal-comments': 'external' },
        commandHooks: afterBundlingHooks(props.files ?? {}, memorySize),
      },
    });
  }
}

/**
 * Sets POWERTOOLS_LOG_LEVEL on every IncidentFunction under `scope`: the stack calls it once
 * with its `logLevel` setting, so the constructs that make functions need not pass it along.
 */
export function setFunctionLogLevel(scope: Construct, level: FunctionLogLevel): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof IncidentFunction) child.function.addEnvironment('POWERTOOLS_LOG_LEVEL', level);
  }
}

/**
 * The environment without unset optional variables, after checking every value known at synth
 * time against the schema, so a bad setting fails `cdk synth` instead of the first cold start.
 */
function checkedEnvironment<S extends z.ZodObject>(
  scope: Construct,
  schema: S,
  environment: EnvOf<S>,
): Record<string, string> {
  const defined = Object.fromEntries(
    Object.entries(environment as Record<string, string | undefined>).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const result = schema.safeParse(defined);
  if (!result.success) {
    const problems = result.error.issues.filter((issue) => {
      const value = defined[String(issue.path[0])];
      return value === undefined || !Token.isUnresolved(value);
    });
    if (problems.length > 0) {
      const described = problems.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new ConfigurationError(`${scope.node.path}: invalid function environment: ${described}`);
    }
  }
  return defined;
}
