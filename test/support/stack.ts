import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { appWithContext, buildApp } from '../../lib/app';
import type { IncidentResponseStack } from '../../lib/incident-response-stack';
import { CDK_TEST_OUTDIR } from './cdk-outdir';

export const MINIMAL_CONTEXT = { clusterName: 'demo', allowedNamespaces: 'apps,data' };

export interface BuiltStack {
  app: App;
  stack: IncidentResponseStack;
  template: Template;
}

/**
 * The real app (cdk.json's feature flags, cdk-nag registered) built from `context`. Asset
 * bundling is skipped unless `bundle` is set: tests that look at the template do not need
 * ten esbuild runs, and test/lib/deployed-bundles.test.ts builds and runs the bundles.
 */
export function buildStack(
  context: Record<string, unknown>,
  options: { bundle?: boolean; outdir?: string } = {},
): BuiltStack {
  const app = appWithContext(options.bundle ? context : { ...context, 'aws:cdk:bundling-stacks': [] }, {
    outdir: options.outdir ?? CDK_TEST_OUTDIR,
  });
  const stack = buildApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}
