import { writeFileSync } from 'node:fs';
import type { Diagnostics, Remediation } from '../../../lambdas/shared/contracts';
import { localKubeConfig } from '../../../lambdas/shared/kubernetes/client';
import { ClientNodeKubernetes } from '../../../lambdas/shared/kubernetes/kubernetes-port';
import { configSchema } from '../../../lib/config';
import { cachedDefinitions } from '../../../lib/definitions-cache';
import type { SynthesizedDefinitions } from '../../../lib/synth';
import { startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import { runIncident, type IncidentRun } from '../../../local/engine/run-incident';
import {
  RUNBOOK_CASES,
  runbookScenario,
  type RunbookCase,
} from '../../../local/kube-sandbox/scenarios/runbook';
import { startSandbox } from '../../../local/kube-sandbox/sandbox';

/**
 * These flows exercise automatic remediation: rollbacks too run without asking (the default
 * policy asks a human before a rollback; test/local/engine/approval-flow.test.ts covers that).
 */
const AUTO = { default: { restart: 'auto', rollback: 'auto' } };

/*
 * The runbook table: one case per symptom → cause → fix row of the five runbooks, each in its
 * own sandbox (the scenario of the same name), run through the synthesized IncidentResponse
 * state machine on the local engine. Each asserts the cause (the rule ranked first), the fix
 * (written with the incident's own names) and the action the flow took.
 */

const TIME_SCALE = 600;
/**
 * Cases whose evidence changes within seconds run on a slower clock, so what the diagnosis sees
 * does not depend on the machine's load: a container whose executable is missing shows
 * RunContainerError only for the instant of each start attempt, CrashLoopBackOff in between.
 */
const SLOWER: Record<string, number> = { 'otlp-command-not-found': 20 };
/** Cases in flight at once: each is mostly waiting on its sandbox's scaled clock. */
const PARALLEL = 16;
/** Sandbox seconds the failure runs before the alert fires: crashes, back-off, probe failures. */
const FAILING_FOR_SECONDS = 90;

let synthesized: SynthesizedDefinitions;
let aws: LocalAws;

beforeAll(async () => {
  const namespaces = [...new Set(RUNBOOK_CASES.map((c) => c.target.namespace))];
  synthesized = cachedDefinitions({ clusterName: 'sandbox', allowedNamespaces: namespaces.join(',') });
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
  // `RUNBOOK_TABLE_OUT=file.json`: what each case concluded, for the table in docs/diagnosis.md.
  const out = process.env.RUNBOOK_TABLE_OUT;
  if (out) {
    const rows = RUNBOOK_CASES.map((c) => {
      const d = outcomes.get(c.name)?.diagnostics;
      return {
        name: c.name,
        runbook: c.runbook,
        expect: c.expect,
        got: {
          hypotheses: (d?.hypotheses ?? [])
            .slice(0, 3)
            .map((h) => ({ ruleId: h.ruleId, confidence: h.confidence, fix: h.fix })),
          action: d?.remediation?.action,
          reason: d?.remediation?.reason,
          states: outcomes.get(c.name)?.states,
        },
      };
    });
    writeFileSync(out, JSON.stringify(rows, null, 2));
  }
});

interface Outcome {
  run: IncidentRun;
  states: string[];
  diagnostics: Diagnostics;
  workloadWrites: string[];
}

async function runCase(c: RunbookCase): Promise<Outcome> {
  const timeScale = SLOWER[c.name] ?? TIME_SCALE;
  const sandbox = await startSandbox({ scenario: runbookScenario(c), clock: { timeScale } });
  try {
    await new Promise((resolve) => setTimeout(resolve, (FAILING_FOR_SECONDS * 1000) / timeScale));
    sandbox.requests.clear();
    const kube = new ClientNodeKubernetes(localKubeConfig({ yaml: sandbox.kubeconfig() }), {
      requestTimeoutMs: 5000,
    });
    const run = await runIncident({
      synthesized,
      input: {
        source: 'manual',
        target: c.target,
        alert: {
          name: 'ServiceDown',
          severity: 'critical',
          summary: c.runbook.row,
          startsAt: '2026-11-22T03:00:00Z',
        },
        options: { waitSeconds: 30, verifyTimeoutSeconds: 60 },
      },
      timeScale,
      environment: {
        kube,
        aws,
        config: configSchema.parse({
          clusterName: 'sandbox',
          allowedNamespaces: [c.target.namespace],
          remediationPolicy: AUTO,
        }),
        now: () => new Date(sandbox.clock.now()),
      },
    });
    const states = run.events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
    const diagnostics = (
      run.events.find((e) => e.type === 'StateExited' && e.state.name === 'Quick Diagnostics') as
        { state: { output: { diagnostics: Diagnostics } } } | undefined
    )?.state.output.diagnostics;
    const workloadWrites = sandbox.requests
      .writes()
      .filter((w) => w.resource !== 'leases')
      .map((w) => `${w.verb} ${w.resource}/${w.name}`);
    return { run, states, diagnostics: diagnostics!, workloadWrites };
  } finally {
    await sandbox.stop();
  }
}

/** The branch the flow must have taken for the action the diagnosis called for. */
function tookBranch(action: Remediation, o: Outcome): void {
  switch (action) {
    case 'none':
      expect(o.states).not.toContain('Guard');
      expect(o.workloadWrites).toEqual([]);
      break;
    case 'rollback':
      expect(o.states).not.toContain('Restart');
      expect(o.states).toContain('Health Before Rollback');
      break;
    case 'wait-for-dependency':
      expect(o.states).toContain('Check Dependency');
      break;
    case 'restart':
      expect(o.states).toContain('Health Before Restart');
      break;
  }
}

const outcomes = new Map<string, Outcome>();

/**
 * The rows the diagnosis gets wrong today, and how (docs/diagnosis.md, "What remains"). Each runs
 * as `test.failing`, so a fix of the diagnosis shows as a row to move back into the table. None
 * today.
 */
const KNOWN_GAPS: Record<string, string> = {};

/** Runs every case, PARALLEL at a time, before the table's rows assert on them. */
async function runAll(): Promise<void> {
  const queue = [...RUNBOOK_CASES];
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) outcomes.set(c.name, await runCase(c));
    }),
  );
}

describe('the runbook table: cause, fix and action through the real flow', () => {
  // Act
  beforeAll(runAll, 170_000);

  const row = (_: string, c: RunbookCase) => {
    const outcome = outcomes.get(c.name)!;

    // Assess
    const top = outcome.diagnostics.hypotheses?.[0];
    expect({ case: c.name, rule: top?.ruleId }).toEqual({ case: c.name, rule: c.expect.ruleId });
    for (const name of c.expect.fixMentions) expect(top?.fix).toContain(name);
    expect(outcome.diagnostics.remediation?.action).toBe(c.expect.action);
    tookBranch(c.expect.action, outcome);
  };
  const cases = (known: boolean) =>
    RUNBOOK_CASES.filter((c) => c.name in KNOWN_GAPS === known).map((c) => [c.name, c] as const);
  test.each(cases(false))('%s', row);
  // Rows the diagnosis gets wrong today (docs/diagnosis.md): each must still fail, so a fix of
  // the diagnosis shows here as a row to move back into the table above.
  if (cases(true).length) test.failing.each(cases(true))('%s (known gap)', row);
});
