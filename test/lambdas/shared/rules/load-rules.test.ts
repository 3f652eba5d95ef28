import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { emptyEvidence, type DiagnosisEvidence } from '../../../../lambdas/shared/diagnosis/evidence';
import { BUILTIN_RULES } from '../../../../lambdas/shared/rules/builtin-rules';
import { diagnoseEvidence } from '../../../../lambdas/shared/rules/diagnose-cause';
import { builtinRules, loadRules, RulesFileError } from '../../../../lambdas/shared/rules/load-rules';
import { RULES_SCHEMA_FILE, rulesSchemaText } from '../../../../lib/rules-schema';

/** A pod of one-data-alldata/alldata-api whose previous log ends with `line`. */
function crashingWith(line: string): DiagnosisEvidence {
  return {
    ...emptyEvidence({ namespace: 'one-data-alldata', kind: 'Deployment', name: 'alldata-api' }),
    containers: [
      {
        pod: 'alldata-api-6f7d9-x2k4p',
        container: 'api',
        init: false,
        running: false,
        ready: false,
        restartCount: 3,
        waitingReason: 'CrashLoopBackOff',
        termination: { reason: 'Error', exitCode: 1 },
      },
    ],
    logs: [
      { pod: 'alldata-api-6f7d9-x2k4p', container: 'api', previous: true, text: `INFO starting\n${line}` },
    ],
  };
}

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rules-')), name);
  writeFileSync(file, text);
  return file;
}

describe('built-in rules', () => {
  it('are valid in the user rules schema, with unique ids', () => {
    // Act
    const rules = builtinRules();

    // Assess
    expect(rules).toHaveLength(BUILTIN_RULES.length);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  });

  it('each cite one of the five runbooks and a section of it', () => {
    // Prepare
    const runbooks = [
      'aikv-troubleshooting.md',
      'one-data-studio-compose-troubleshooting.md',
      'one-data-studio-kubernetes-troubleshooting.md',
      'one-data-studio-operations-handbook.md',
      'otlp-app-troubleshooting.md',
    ];

    for (const rule of builtinRules()) {
      // Assess
      expect(runbooks).toContain(rule.runbook?.file);
      expect(rule.runbook?.section).toMatch(/\S/);
    }
  });
});

describe('loadRules', () => {
  const override = `
rules:
  - id: mysql-unreachable
    when:
      - log: { class: [connection-refused, timeout], technology: mysql }
    cause: "The {serviceNamespace} database proxy is down (our ProxySQL, not MySQL itself)."
    fix: "Page the DBA on-call; do not restart {workload}."
    remediation: none
    confidence: 0.95
    runbook: { file: team-runbook.md, section: ProxySQL }
`;

  it('returns the built-in rules without a file', () => {
    // Act
    const rules = loadRules();

    // Assess
    expect(rules.map((r) => r.id)).toEqual(builtinRules().map((r) => r.id));
  });

  it('overrides a built-in rule by id, which changes the diagnosis', () => {
    // Prepare
    const evidence = crashingWith(`(2003, "Can't connect to MySQL server on 'mysql' (111)")`);
    const before = diagnoseEvidence(evidence, loadRules());
    const file = tempFile('rules.yaml', override);

    // Act
    const after = diagnoseEvidence(evidence, loadRules(file));

    // Assess
    expect(before.hypotheses[0]).toMatchObject({ ruleId: 'mysql-unreachable', remediation: 'restart' });
    expect(after.hypotheses[0]).toMatchObject({
      ruleId: 'mysql-unreachable',
      cause: 'The one-data-alldata database proxy is down (our ProxySQL, not MySQL itself).',
      fix: 'Page the DBA on-call; do not restart alldata-api.',
      remediation: 'none',
      runbook: { file: 'team-runbook.md', section: 'ProxySQL' },
    });
    expect(after.remediation.action).toBe('none');
    expect(loadRules(file)).toHaveLength(builtinRules().length);
  });

  it('adds a user rule (JSON text), and turns a built-in rule off', () => {
    // Prepare
    const text = JSON.stringify({
      rules: [
        {
          id: 'legacy-license-expired',
          when: [{ log: { pattern: 'license (key )?expired' } }],
          cause: 'The license of {workload} expired.',
          fix: 'Renew the license Secret in {namespace}.',
          remediation: 'none',
          confidence: 0.97,
        },
        { ...BUILTIN_RULES.find((r) => r.id === 'crash-loop'), disabled: true },
      ],
    });
    const evidence = crashingWith('FATAL license key expired on 2026-01-01');

    // Act
    const rules = loadRules(text);
    const { hypotheses } = diagnoseEvidence(evidence, rules);

    // Assess
    expect(hypotheses[0]).toMatchObject({
      ruleId: 'legacy-license-expired',
      cause: 'The license of alldata-api expired.',
      runbook: { file: 'user rules', section: 'legacy-license-expired' },
    });
    expect(hypotheses.map((h) => h.ruleId)).not.toContain('crash-loop');
  });

  it.each([
    [
      'an unknown failure class',
      'rules:\n  - id: r\n    when: [{ log: { class: conection-refused } }]\n    cause: c\n    fix: f\n    remediation: none\n    confidence: 0.5\n',
      /rules\[0\] \(id r\)\.when\[0\]\.log\.class: Invalid option/,
    ],
    [
      'an unknown placeholder',
      'rules:\n  - id: r\n    when: [{ log: { class: timeout } }]\n    cause: "{servce} is slow"\n    fix: f\n    remediation: none\n    confidence: 0.5\n',
      /rules\[0\] \(id r\)\.cause: unknown placeholder \{servce\}/,
    ],
    [
      'a remediation the flow does not know',
      'rules:\n  - id: r\n    when: [{ log: { class: timeout } }]\n    cause: c\n    fix: f\n    remediation: reboot\n    confidence: 0.5\n',
      /rules\[0\] \(id r\)\.remediation: Invalid option/,
    ],
    [
      'a confidence above 1',
      'rules:\n  - id: r\n    when: [{ log: { class: timeout } }]\n    cause: c\n    fix: f\n    remediation: none\n    confidence: 5\n',
      /rules\[0\] \(id r\)\.confidence: Too big/,
    ],
    [
      'an invalid regular expression',
      'rules:\n  - id: r\n    when: [{ log: { pattern: "([a-z" } }]\n    cause: c\n    fix: f\n    remediation: none\n    confidence: 0.5\n',
      /rules\[0\] \(id r\)\.when\[0\]\.log\.pattern: not a valid regular expression/,
    ],
    [
      'a misspelled matcher',
      'rules:\n  - id: r\n    when: [{ logs: { class: timeout } }]\n    cause: c\n    fix: f\n    remediation: none\n    confidence: 0.5\n',
      /rules\[0\] \(id r\)\.when\[0\]/,
    ],
    [
      'a duplicate id',
      'rules:\n  - { id: r, when: [{ log: { class: timeout } }], cause: c, fix: f, remediation: none, confidence: 0.5 }\n  - { id: r, when: [{ log: { class: timeout } }], cause: c, fix: f, remediation: none, confidence: 0.5 }\n',
      /rules\[1\]\.id: duplicate rule id "r"/,
    ],
    ['text that is not YAML', 'rules: [\n  - {', /not valid YAML or JSON/],
  ])('refuses %s, naming the field', (_what, text, message) => {
    // Act
    const load = () => loadRules(text);

    // Assess
    expect(load).toThrow(RulesFileError);
    expect(load).toThrow(message);
  });

  it('names the file it could not find', () => {
    // Act
    const load = () => loadRules('/nonexistent/rules.yaml');

    // Assess
    expect(load).toThrow('/nonexistent/rules.yaml: no such rules file');
  });
});

describe('docs/rules.schema.json', () => {
  const committed = readFileSync(RULES_SCHEMA_FILE, 'utf8');
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(committed));

  it('is exactly what lib/rules-schema.ts generates from the zod schema', async () => {
    // Assess
    expect(committed).toBe(await rulesSchemaText());
  });

  it('accepts the built-in rules and refuses what loadRules refuses', () => {
    // Prepare
    const bad = { rules: [{ ...BUILTIN_RULES[0], remediation: 'reboot' }] };

    // Act / Assess
    expect(validate({ rules: BUILTIN_RULES })).toBe(true);
    expect(validate(bad)).toBe(false);
  });
});
