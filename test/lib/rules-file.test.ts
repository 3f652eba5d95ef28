import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { diagnoseEnv } from '../../lambdas/shared/env';
import { loadConfig } from '../../lib/config';
import { IncidentFunction } from '../../lib/constructs/function-defaults';
import { MINIMAL_CONTEXT, buildStack } from '../support/stack';

/*
 * CDK context `rulesFile`: validated at synth (a bad rule fails `cdk synth` naming the file and
 * the field) and shipped inside the diagnose function's asset, which RULES_FILE points at.
 */

const RULES = [
  'rules:',
  '  - id: alldata-mysql-grants',
  '    when: [{ log: { class: auth-failure, technology: mysql } }]',
  '    cause: "{workload} is refused by MySQL"',
  '    fix: "Re-apply the grants of the alldata user in {namespace}"',
  '    remediation: none',
  '    confidence: 0.95',
  '',
].join('\n');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'eks-incident-rules-file-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function rulesAt(text: string): string {
  const file = path.join(dir, 'rules.yaml');
  writeFileSync(file, text);
  return file;
}

describe('CDK context rulesFile', () => {
  it('reads and validates the file at synth', () => {
    // Act
    const config = loadConfig(new App({ context: { ...MINIMAL_CONTEXT, rulesFile: rulesAt(RULES) } }).node);

    // Assess
    expect(config.rulesFile).toEqual({ path: path.join(dir, 'rules.yaml'), text: RULES });
  });

  it('fails synth naming the file and the bad field', () => {
    // Prepare
    const file = rulesAt(RULES.replace('remediation: none', 'remediation: reboot'));

    // Act
    const act = () => loadConfig(new App({ context: { ...MINIMAL_CONTEXT, rulesFile: file } }).node);

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(
      new RegExp(
        `^invalid CDK context: rulesFile: ${file}: rules\\[0\\] \\(id alldata-mysql-grants\\)\\.remediation: `,
      ),
    );
  });

  it('points the diagnose function, and only it, at the bundled file', () => {
    // Act
    const { stack, template } = buildStack({ ...MINIMAL_CONTEXT, rulesFile: rulesAt(RULES) });

    // Assess
    const id = (step: 'diagnose' | 'verify') =>
      stack.getLogicalId(stack.functions[step].function.node.defaultChild as never);
    const env = (step: 'diagnose' | 'verify') =>
      (template.toJSON().Resources[id(step)].Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
    expect(env('diagnose').RULES_FILE).toBe('/var/task/rules.yaml');
    expect(env('verify').RULES_FILE).toBeUndefined();
  });

  it('ships the file in the function asset, next to the handler', () => {
    // Prepare
    const outdir = path.join(dir, 'cdk.out');
    const app = new App({ outdir });
    const stack = new Stack(app, 'RulesFileBundle');

    // Act
    new IncidentFunction(stack, 'Diagnose', {
      step: 'diagnose',
      envSchema: diagnoseEnv,
      environment: {
        CLUSTER_NAME: 'demo',
        KUBE_REQUEST_TIMEOUT_MS: '10000',
        EVIDENCE_BUCKET: 'bucket',
        LOG_TAIL_LINES: '1000',
        LOG_LIMIT_BYTES: '262144',
        RULES_FILE: '/var/task/rules.yaml',
      },
      files: { 'rules.yaml': RULES },
    });
    app.synth();

    // Assess
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
    const asset = readdirSync(outdir).find((name) => name.startsWith('asset.'))!;
    expect(readdirSync(path.join(outdir, asset)).sort()).toEqual([
      'bundle.js',
      expect.stringMatching(/^bundle\.js\.[0-9a-f]{8}\.v8cache$/),
      'bundle.js.LEGAL.txt',
      'bundle.js.map',
      'index.js',
      'rules.yaml',
    ]);
    expect(readFileSync(path.join(outdir, asset, 'rules.yaml'), 'utf8')).toBe(RULES);
  });
});
