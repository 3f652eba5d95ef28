import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from './config';
import { IncidentResponseStack } from './incident-response-stack';

/** The stack's construct id (and, by default, its CloudFormation stack name). */
export const STACK_ID = 'EksIncidentResponse';

/**
 * Adds the app's stacks and its checks to `app`, with the configuration from the app's context.
 * bin/app.ts (`cdk synth`/`deploy`), synthesizeDefinitions (the local runner) and the stack
 * tests all build through here, so they synthesize the same thing.
 */
export function buildApp(app: App): IncidentResponseStack {
  const config = loadConfig(app.node);
  const stack = new IncidentResponseStack(app, STACK_ID, {
    config,
    env: config.region ? { region: config.region } : undefined,
    description:
      'EKS incident response: Step Functions workflow, Lambdas, evidence bucket (eks-incident-response)',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

/**
 * An App whose context is cdk.json's (feature flags, defaults) overlaid with `context`, which
 * is what the CDK CLI hands bin/app.ts; for synthesizing in-process without the CLI.
 */
export function appWithContext(context: Record<string, unknown>, props: Omit<AppProps, 'context'> = {}): App {
  const cdkJson = JSON.parse(readFileSync(path.resolve(__dirname, '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return new App({ ...props, context: { ...cdkJson.context, ...context } });
}
