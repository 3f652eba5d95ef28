import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Token } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnTopic } from 'aws-cdk-lib/aws-sns';
import type { CfnStateMachine, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { appWithContext, buildApp } from './app';
import { BACKUP_STEPS, type BackupStep } from './constructs/backup-verification';
import { INCIDENT_STEPS, type IncidentStep } from './incident-response-stack';

/** An Amazon States Language definition, as JSON. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  [field: string]: unknown;
}

/** The placeholder values that stand in for deploy-time references in a synthesized definition. */
export interface DefinitionPlaceholders {
  /** The stack's region when configured (`-c region=`), else `us-east-1`. */
  region: string;
  /** Always `000000000000`. */
  account: string;
  /** `arn:aws:lambda:<region>:<account>:function:<step>` for each step (`notify`, `collect-events`, ...). */
  functions: Record<IncidentStep, string>;
  /** `arn:aws:sns:<region>:<account>:eks-incident-response-notifications` */
  topicArn: string;
  /**
   * With backup verification configured: `arn:aws:lambda:<region>:<account>:function:<step>` for
   * each backup step (`backup-check-s3`, `backup-check-cronjobs`, `backup-restore-test`, `backup-report`).
   */
  backupFunctions?: Record<BackupStep, string>;
}

export interface SynthesizedDefinitions {
  /**
   * The IncidentResponse definition exactly as CloudFormation would receive it, parsed, with
   * every deploy-time reference replaced by a placeholder: each Lambda Task's `Resource` is
   * `placeholders.functions[step]` (so the function name is the step's directory under
   * `lambdas/`: `lambdas/<step>/handler.ts`), `Last-Resort Notify`'s `TopicArn` is
   * `placeholders.topicArn`, and `AWS::Partition`/`AWS::Region`/`AWS::AccountId`/`AWS::URLSuffix`
   * are `aws`/`region`/`account`/`amazonaws.com`.
   */
  incidentResponse: AslDefinition;
  /**
   * The BackupVerification definition, with the same placeholders (its Lambda Tasks'
   * `Resource` is `placeholders.backupFunctions[step]`), when the context has `backupSources`.
   */
  backupVerification?: AslDefinition;
  placeholders: DefinitionPlaceholders;
}

/** CDK's context key listing the stacks to bundle assets for (none here: the ASL does not depend on them). */
const BUNDLING_STACKS = 'aws:cdk:bundling-stacks';

/**
 * Synthesizes the real stack with `context` (the same keys as `cdk synth -c`, e.g.
 * `{ clusterName: 'demo', allowedNamespaces: 'apps' }`) through the same code path as
 * bin/app.ts, cdk-nag included, and returns its state machine definitions for the local runner.
 * Only asset bundling and CDK's built-in CloudFormation validation of the template are skipped:
 * the definition depends on neither.
 *
 * Throws ConfigurationError for bad context, and an Error naming any CloudFormation intrinsic
 * in a definition that it does not know how to replace.
 */
export function synthesizeDefinitions(context: Record<string, unknown>): SynthesizedDefinitions {
  const outdir = mkdtempSync(path.join(tmpdir(), 'eks-incident-synth-'));
  try {
    // Nor does it depend on CDK's built-in CloudFormation validation of the template, which costs
    // seconds (a rules engine loaded per process, then a second a synth): `cdk synth` and the stack
    // tests (test/support/stack.ts) run it; the local runner needs only the definitions.
    const app = appWithContext(
      { ...context, [BUNDLING_STACKS]: [] },
      { outdir, builtinCloudFormationValidation: false },
    );
    const stack = buildApp(app);
    const template = app.synth().getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };

    const region = Token.isUnresolved(stack.region) ? 'us-east-1' : stack.region;
    const account = '000000000000';
    const functions = Object.fromEntries(
      INCIDENT_STEPS.map((step) => [step, `arn:aws:lambda:${region}:${account}:function:${step}`]),
    ) as Record<IncidentStep, string>;
    const topicArn = `arn:aws:sns:${region}:${account}:eks-incident-response-notifications`;

    const byLogicalId = new Map<string, string>();
    for (const step of INCIDENT_STEPS) {
      const cfn = stack.functions[step].function.node.defaultChild as CfnFunction;
      byLogicalId.set(`${stack.getLogicalId(cfn)}.Arn`, functions[step]);
    }
    byLogicalId.set(stack.getLogicalId(stack.notifications.topic.node.defaultChild as CfnTopic), topicArn);
    byLogicalId.set('AWS::Partition', 'aws');
    byLogicalId.set('AWS::Region', region);
    byLogicalId.set('AWS::AccountId', account);
    byLogicalId.set('AWS::URLSuffix', 'amazonaws.com');

    const backup = stack.backupVerification;
    let backupFunctions: Record<BackupStep, string> | undefined;
    if (backup) {
      backupFunctions = Object.fromEntries(
        BACKUP_STEPS.map((step) => [step, `arn:aws:lambda:${region}:${account}:function:${step}`]),
      ) as Record<BackupStep, string>;
      for (const step of BACKUP_STEPS) {
        const cfn = backup.functions[step].function.node.defaultChild as CfnFunction;
        byLogicalId.set(`${stack.getLogicalId(cfn)}.Arn`, backupFunctions[step]);
      }
    }

    const definitionOf = (stateMachine: StateMachine): AslDefinition => {
      const resource =
        template.Resources[stack.getLogicalId(stateMachine.node.defaultChild as CfnStateMachine)];
      return JSON.parse(resolveString(resource.Properties.DefinitionString, byLogicalId)) as AslDefinition;
    };
    return {
      incidentResponse: definitionOf(stack.workflow.stateMachine),
      ...(backup ? { backupVerification: definitionOf(backup.workflow.stateMachine) } : {}),
      placeholders: { region, account, functions, topicArn, ...(backupFunctions ? { backupFunctions } : {}) },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Turns a CloudFormation string value (a literal or an `Fn::Join` of literals, `Ref`s and
 * `Fn::GetAtt`s) into text. `values` maps `Ref` targets by name and `Fn::GetAtt`s as
 * `<logicalId>.<attribute>`; anything else is an error, never a guess.
 */
export function resolveString(value: unknown, values: ReadonlyMap<string, string>): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  const keys = typeof value === 'object' && value !== null ? Object.keys(intrinsic) : [];
  if (keys.length === 1 && keys[0] === 'Fn::Join') {
    const [delimiter, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveString(part, values)).join(delimiter);
  }
  const name =
    keys.length === 1 && keys[0] === 'Ref'
      ? String(intrinsic.Ref)
      : keys.length === 1 && keys[0] === 'Fn::GetAtt'
        ? (intrinsic['Fn::GetAtt'] as string[]).join('.')
        : undefined;
  const resolved = name === undefined ? undefined : values.get(name);
  if (resolved === undefined) {
    throw new Error(
      `cannot resolve ${JSON.stringify(value)} in a state machine definition: no placeholder for it`,
    );
  }
  return resolved;
}
