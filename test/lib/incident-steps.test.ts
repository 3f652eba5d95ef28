import type { CfnElement } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BACKUP_STEPS, backupStepDefinition } from '../../lib/backup-steps';
import { loadConfig } from '../../lib/config';
import { cachedDefinitions } from '../../lib/definitions-cache';
import { INCIDENT_STEPS, INCIDENT_STEP_REGISTRY, stepDefinition } from '../../lib/incident-steps';
import { startLocalAws, type LocalAws } from '../../local/aws/local-aws';
import { allStates } from '../../local/engine/execute-definition';
import { localFunctionEnvironments } from '../../local/engine/local-steps';
import { buildStack, MINIMAL_CONTEXT, type BuiltStack } from '../support/stack';

/*
 * The step registry (lib/incident-steps.ts) is the one list of the workflow's functions: the stack
 * builds them from it and the local engine its handlers. These tests hold it to the synthesized
 * template and definition, and the local engine to the environments the template gives.
 */

type Resource = { Type: string; Properties: Record<string, unknown> };

/** What the stack adds for every function (function-defaults.ts) and the local engine for its endpoints. */
const NOT_FROM_THE_REGISTRY = /^(NODE_OPTIONS|POWERTOOLS_[A-Z_]+|AWS_[A-Z0-9_]+)$/;
/** Deploy-time references in the template; the local engine gives local values. */
const REFERENCES = ['EVIDENCE_BUCKET', 'TOPIC_ARN', 'APPROVAL_BASE_URL', 'APPROVAL_LINK_SECRET_ARN'];

let built: BuiltStack;
let aws: LocalAws;

beforeAll(async () => {
  built = buildStack({ ...MINIMAL_CONTEXT, allowedWorkloads: 'apps/Deployment/web' });
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

/** Each step's function in the template, by the step's construct id. */
function templateEnvironment(step: (typeof INCIDENT_STEPS)[number]): Record<string, unknown> {
  const logicalId = built.stack.getLogicalId(
    built.stack.functions[step].function.node.defaultChild as CfnElement,
  );
  const resource = built.template.toJSON().Resources[logicalId] as Resource;
  return (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('the step registry', () => {
  it('names every Lambda Task state of the synthesized definition once, under the function it invokes', () => {
    // Prepare
    const synthesized = cachedDefinitions(MINIMAL_CONTEXT);
    const stepOfArn = new Map(
      Object.entries(synthesized.placeholders.functions).map(([step, arn]) => [arn, step]),
    );

    // Act
    const served: Record<string, string> = {};
    // The Assess Parallel's branch states included.
    for (const [name, state] of allStates(synthesized.incidentResponse as never)) {
      // A plain Lambda Task names its function as its Resource; a callback Task in its Parameters.
      const parameters = state.Parameters as { FunctionName?: string } | undefined;
      const step = stepOfArn.get(parameters?.FunctionName ?? String(state.Resource));
      if (step) served[name] = step;
    }

    // Assess
    const registered = Object.fromEntries(
      INCIDENT_STEPS.flatMap((step) => stepDefinition(step).states.map((state) => [state, step])),
    );
    expect(registered).toEqual(served);
    expect(Object.keys(INCIDENT_STEP_REGISTRY).sort()).toEqual([...INCIDENT_STEPS].sort());
  });

  it('names every Lambda Task state of the BackupVerification definition, in its branches too', () => {
    // Prepare
    const backupSources = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../examples/backup-sources.json'), 'utf8'),
    ) as unknown;
    const synthesized = cachedDefinitions({
      ...MINIMAL_CONTEXT,
      allowedNamespaces: 'one-data-alldata',
      backupSources,
    });
    const stepOfArn = new Map(
      Object.entries(synthesized.placeholders.backupFunctions!).map(([step, arn]) => [arn, step]),
    );

    // Act
    const served: Record<string, string> = {};
    const walk = (states: Record<string, Record<string, unknown>>) => {
      for (const [name, state] of Object.entries(states)) {
        const parameters = state.Parameters as { FunctionName?: string } | undefined;
        const step = stepOfArn.get(parameters?.FunctionName ?? String(state.Resource));
        if (step) served[name] = step;
        for (const branch of (state.Branches ?? []) as Array<{ States: typeof states }>) walk(branch.States);
        const processor = (state.ItemProcessor ?? state.Iterator) as { States: typeof states } | undefined;
        if (processor) walk(processor.States);
      }
    };
    walk(synthesized.backupVerification!.States);

    // Assess
    const registered = Object.fromEntries(
      BACKUP_STEPS.flatMap((step) => backupStepDefinition(step).states.map((state) => [state, step])),
    );
    expect(registered).toEqual(served);
  });

  it('gives each function the environment its schema parses, and the local engine gives it the same', async () => {
    // Prepare
    const config = loadConfig(built.app.node);

    // Act
    const local = await localFunctionEnvironments({
      kube: undefined as never,
      aws,
      config,
      now: () => new Date(),
      approvalLinks: { baseUrl: 'http://127.0.0.1:1/', secret: 'x' },
    });

    // Assess
    for (const step of INCIDENT_STEPS) {
      const deployed = Object.fromEntries(
        Object.entries(templateEnvironment(step)).filter(([name]) => !NOT_FROM_THE_REGISTRY.test(name)),
      );
      const rehearsed = Object.fromEntries(
        Object.entries(local[step]).filter(([name]) => !NOT_FROM_THE_REGISTRY.test(name)),
      );
      expect([step, Object.keys(rehearsed).sort()]).toEqual([step, Object.keys(deployed).sort()]);
      for (const [name, value] of Object.entries(deployed)) {
        if (!REFERENCES.includes(name)) expect([step, name, rehearsed[name]]).toEqual([step, name, value]);
      }
      expect(stepDefinition(step).envSchema.safeParse(local[step]).success).toBe(true);
      // Its endpoints are this machine's, its bucket and topic the emulator's.
      expect(local[step]).toMatchObject({
        AWS_ENDPOINT_URL_S3: aws.endpoint,
        AWS_ENDPOINT_URL_SNS: aws.endpoint,
      });
      if ('EVIDENCE_BUCKET' in rehearsed) expect(rehearsed.EVIDENCE_BUCKET).toBe(aws.bucket);
      if ('TOPIC_ARN' in rehearsed) expect(rehearsed.TOPIC_ARN).toBe(aws.topicArn);
    }
  });
});
