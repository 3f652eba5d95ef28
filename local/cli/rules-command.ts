import type { Command } from 'commander';
import { diagnose } from '../../lambdas/diagnose/diagnose';
import type { Hypothesis } from '../../lambdas/shared/contracts';
import type { DiagnosisEvidence } from '../../lambdas/shared/diagnosis/evidence';
import { evidenceKeys } from '../../lambdas/shared/evidence/layout';
import { S3EvidenceStore } from '../../lambdas/shared/evidence/s3-evidence-store';
import { localKubeConfig } from '../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../lambdas/shared/kubernetes/kubernetes-port';
import { diagnoseEvidence } from '../../lambdas/shared/rules/diagnose-cause';
import { builtinRules, mergeRules, parseRules } from '../../lambdas/shared/rules/load-rules';
import type { Rule } from '../../lambdas/shared/rules/rule-schema';
import { startLocalAws } from '../aws/local-aws';
import { runbookCase, runbookScenario, RUNBOOK_CASES } from '../kube-sandbox/scenarios/runbook';
import { startSandbox } from '../kube-sandbox/sandbox';
import { CliError } from './cli-error';
import { openEvidence, readText } from './evidence-reader';
import { DEFAULT_DATA_DIR } from './local-store';
import type { Streams } from './output';
import { rulesFileOption } from './rules-option';

/**
 * `eks-incident rules test`: rehearses a rules file before it ships. Each rule of the file may
 * list `examples` (a sandbox scenario or an incident's stored evidence) it must explain; the
 * command diagnoses each example with the built-in rules merged with the file, and fails when
 * one of the file's rules is not the top hypothesis of its own example any more.
 */

export interface RulesTestOptions {
  rules: string;
  /** Only this incident evidence prefix (its diagnostics.json is replayed). */
  evidence?: string;
  /** Only this sandbox scenario (diagnosed afresh). */
  scenario?: string;
  dataDir: string;
  bucket?: string;
  json: boolean;
}

/** Where an example's evidence comes from, as a rule's `examples` entry or the command line names it. */
type Source = { scenario: string } | { evidence: string };

function sourceText(source: Source): string {
  return 'scenario' in source ? `scenario ${source.scenario}` : `evidence ${source.evidence}`;
}

function sameSource(a: Source, b: Source): boolean {
  return sourceText(a) === sourceText(b);
}

/** Sandbox seconds a scenario fails before it is diagnosed. */
const SCENARIO_FAILING_SECONDS = 90;

/** A runbook scenario diagnosed afresh on its own sandbox: the evidence Quick Diagnostics gathers. */
export async function scenarioEvidence(name: string): Promise<DiagnosisEvidence> {
  const row = runbookCase(name);
  if (!row) {
    throw new CliError(
      `rules test: no runbook scenario "${name}" (one per runbook row: ${RUNBOOK_CASES.map((c) => c.name).join(', ')})`,
    );
  }
  // A clock moved by hand, a second at a time with the cluster settled after each: the scenario
  // reaches the same state, so its evidence and confidences are the same however busy the machine is.
  const sandbox = await startSandbox({ scenario: runbookScenario(row), clock: { mode: 'manual' } });
  const aws = await startLocalAws();
  try {
    for (let second = 0; second < SCENARIO_FAILING_SECONDS; second++) {
      sandbox.clock.advance(1000);
      await sandbox.settle();
    }
    const now = () => new Date(sandbox.clock.now());
    const evidencePrefix = `rules-test/${name}/`;
    const evidence = new S3EvidenceStore(aws.s3, aws.bucket, { now });
    await diagnose(
      {
        state: {
          incident: {
            source: 'manual',
            target: row.target,
            alert: {
              name: 'RulesTest',
              severity: 'info',
              summary: '',
              labels: {},
              annotations: {},
              startsAt: now().toISOString(),
            },
            options: { dryRun: true, waitSeconds: 60, verifyTimeoutSeconds: 300, allowRollback: true },
            id: `rules-test-${name}`,
            openedAt: now().toISOString(),
            evidencePrefix,
          },
        },
        execution: { id: `rules-test-${name}`, name: `rules-test-${name}`, startTime: now().toISOString() },
      },
      {
        kube: new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
          requestTimeoutMs: 10_000,
        }),
        evidence,
        tailLines: 1000,
        limitBytes: 262_144,
        now,
      },
    );
    const stored = await evidence.getJson<{ ruleEvidence?: DiagnosisEvidence }>(
      evidenceKeys.diagnostics(evidencePrefix),
    );
    if (!stored?.ruleEvidence) throw new CliError(`rules test: scenario ${name} left no rule evidence`);
    return stored.ruleEvidence;
  } finally {
    await aws.stop();
    await sandbox.stop();
  }
}

/** The evidence an incident's diagnostics.json recorded (local store or --bucket). */
async function storedEvidence(prefix: string, options: RulesTestOptions): Promise<DiagnosisEvidence> {
  const normalized = prefix.replace(/^s3:\/\/[^/]+\//, '').replace(/\/*$/, '/');
  const reader = await openEvidence(options);
  try {
    const key = evidenceKeys.diagnostics(normalized);
    const text = await readText(reader, key);
    if (text === undefined) throw new CliError(`rules test: no ${reader.locator.uri(key)}`);
    const ruleEvidence = (JSON.parse(text) as { ruleEvidence?: DiagnosisEvidence }).ruleEvidence;
    if (!ruleEvidence) {
      throw new CliError(
        `rules test: ${reader.locator.uri(key)} has no ruleEvidence (written before rules were data)`,
      );
    }
    return ruleEvidence;
  } finally {
    await reader.close();
  }
}

export interface ExampleResult {
  rule: string;
  source: string;
  passed: boolean;
  top?: { ruleId: string; confidence: number };
  /** Where the rule ranks (1 = top), when it matched at all. */
  rank?: number;
}

function ranking(hypotheses: Hypothesis[]): string {
  return (
    hypotheses
      .slice(0, 3)
      .map((h, i) => `${i + 1}. ${h.ruleId} (${Math.round(h.confidence * 100)}%)`)
      .join(', ') || 'no rule matched'
  );
}

export async function rulesTest(options: RulesTestOptions, streams: Streams): Promise<ExampleResult[]> {
  const file = rulesFileOption(options.rules)!;
  const own = parseRules(file.text, file.path).filter((r) => !r.disabled);
  const rules: Rule[] = mergeRules(builtinRules(), own);
  const only: Source | undefined = options.evidence
    ? { evidence: options.evidence }
    : options.scenario
      ? { scenario: options.scenario }
      : undefined;
  const checks = own.flatMap((rule) =>
    (rule.examples ?? [])
      .map((e): Source => (e.scenario ? { scenario: e.scenario } : { evidence: e.evidence! }))
      .filter((source) => !only || sameSource(source, only))
      .map((source) => ({ rule: rule.id, source })),
  );
  const sources = only
    ? [only]
    : checks.map((c) => c.source).filter((s, i, all) => all.findIndex((o) => sameSource(o, s)) === i);
  if (!sources.length) {
    throw new CliError(
      `rules test: no rule of ${file.path} has examples; give a rule \`examples: [{scenario: NAME}]\` or \`[{evidence: PREFIX}]\`, or pass --scenario/--evidence`,
    );
  }
  const progress = options.json ? streams.err : streams.out;
  const results: ExampleResult[] = [];
  for (const source of sources) {
    const evidence =
      'scenario' in source
        ? await scenarioEvidence(source.scenario)
        : await storedEvidence(source.evidence, options);
    const { hypotheses } = diagnoseEvidence(evidence, rules);
    progress.write(`${sourceText(source)}: ${ranking(hypotheses)}\n`);
    const expected = checks.filter((c) => sameSource(c.source, source));
    if (!expected.length)
      progress.write(`  (no rule of ${file.path} names it as an example: nothing to check)\n`);
    for (const { rule } of expected) {
      const index = hypotheses.findIndex((h) => h.ruleId === rule);
      const passed = index === 0;
      results.push({
        rule,
        source: sourceText(source),
        passed,
        ...(hypotheses[0]
          ? { top: { ruleId: hypotheses[0].ruleId, confidence: hypotheses[0].confidence } }
          : {}),
        ...(index >= 0 ? { rank: index + 1 } : {}),
      });
      progress.write(
        passed
          ? `  ok    ${rule}: the top hypothesis\n`
          : `  FAIL  ${rule}: ${index < 0 ? 'no longer matches this evidence' : `ranks ${index + 1}, below ${hypotheses[0].ruleId}`}\n`,
      );
    }
  }
  if (options.json) streams.out.write(`${JSON.stringify({ rules: file.path, results }, null, 2)}\n`);
  const failed = results.filter((r) => !r.passed);
  if (failed.length) {
    throw new CliError(
      `rules test: ${failed.length} of ${results.length} examples failed: ${failed.map((f) => `${f.rule} on ${f.source}`).join('; ')}`,
    );
  }
  progress.write(`rules test: ${results.length} examples passed\n`);
  return results;
}

export function registerRulesCommand(program: Command, streams: Streams): void {
  const rules = program
    .command('rules')
    .description('Diagnosis rules: rehearse a rules file before it ships');
  rules
    .command('test')
    .description(
      "Replay the rules against each rule's examples (sandbox scenarios or stored evidence); fail when a rule no longer explains its own",
    )
    .requiredOption('--rules <file>', 'the YAML/JSON rules file (docs/rules.md)')
    .option(
      '--evidence <prefix>',
      "only this incident's evidence (incidents/YYYY/MM/DD/<id>/, local store or --bucket)",
    )
    .option('--scenario <name>', 'only this sandbox scenario (a runbook row, as `demo --scenario`)')
    .option('--bucket <s3://name>', 'read evidence from this bucket instead of the local store')
    .option('--data-dir <dir>', 'where the local evidence store lives', DEFAULT_DATA_DIR)
    .option('--json', 'print the results as JSON on stdout', false)
    .addHelpText(
      'after',
      `
A rule declares what it must explain with examples; the command fails (exit 1) when a rule of the
file is not the top hypothesis of one of its examples:

  rules:
    - id: alldata-mysql-grants
      when: [{ log: { class: auth-failure, technology: mysql } }]
      cause: ...
      fix: ...
      remediation: none
      confidence: 0.95
      examples:
        - scenario: alldata-mysql-access-denied
        - evidence: incidents/2026/11/22/20261122-031500-one-data-alldata-alldata-api-3f2a1c/

Examples:
  npx eks-incident rules test --rules my-rules.yaml
  npx eks-incident rules test --rules my-rules.yaml --scenario alldata-mysql-access-denied
  npx eks-incident rules test --rules my-rules.yaml --evidence incidents/2026/11/22/20261122-031500-one-data-alldata-alldata-api-3f2a1c/
  npx eks-incident rules test --rules my-rules.yaml --bucket s3://my-evidence-bucket --evidence incidents/2026/11/22/<id>/`,
    )
    .action(async (options: RulesTestOptions) => {
      await rulesTest(options, streams);
    });
}
