import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3EvidenceStore } from '../../lambdas/shared/evidence/s3-evidence-store';
import { LocalStore } from '../../local/cli/local-store';
import { main } from '../../local/cli/main';
import { scenarioEvidence } from '../../local/cli/rules-command';
import { recordingStreams } from '../support/cli';

/*
 * `eks-incident rules test`: a rule rehearsed against the sandbox scenario or the stored
 * evidence it names as its example passes while it explains it, and fails (exit 1, naming the
 * rule) once it no longer matches that evidence.
 */

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-incident-rules-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const streams = recordingStreams();
  const code = await main(['node', 'eks-incident', ...args], streams);
  return { code, stdout: streams.stdout(), stderr: streams.stderr() };
}

/** A rules file with one rule about alldata-api's MySQL user, and where it must hold. */
async function rulesFile(userPattern: string, example: Record<string, string>): Promise<string> {
  const file = join(dir, 'rules.yaml');
  await writeFile(
    file,
    [
      'rules:',
      '  - id: alldata-mysql-grants',
      '    when:',
      `      - log: { class: auth-failure, technology: mysql, pattern: "${userPattern}" }`,
      '    cause: "{workload} is refused by MySQL: its user lost the grants in the credential rotation"',
      '    fix: "Re-apply the grants of the alldata user (db-grants Job in {namespace}), then restart {workload}"',
      '    remediation: none',
      '    confidence: 0.97',
      '    examples:',
      `      - ${Object.entries(example).map(([k, v]) => `${k}: ${v}`)[0]}`,
    ].join('\n'),
  );
  return file;
}

describe('eks-incident rules test', () => {
  test('passes while the rule is the top hypothesis of its scenario', async () => {
    // Prepare
    const file = await rulesFile("user 'alldata'", { scenario: 'alldata-mysql-access-denied' });

    // Act
    const result = await cli('rules', 'test', '--rules', file);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('scenario alldata-mysql-access-denied: 1. alldata-mysql-grants (97%)');
    expect(result.stdout).toContain('ok    alldata-mysql-grants: the top hypothesis');
  });

  test('fails naming the rule once it no longer matches the evidence of its example', async () => {
    // Prepare: the rule now expects a user the scenario's log does not name.
    const file = await rulesFile("user 'alldata_rw'", { scenario: 'alldata-mysql-access-denied' });

    // Act
    const result = await cli('rules', 'test', '--rules', file);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL  alldata-mysql-grants: no longer matches this evidence');
    expect(result.stderr).toBe(
      'eks-incident: rules test: 1 of 1 examples failed: alldata-mysql-grants on scenario alldata-mysql-access-denied\n',
    );
  });

  test('replays an incident evidence bundle (diagnostics.json) from the local store', async () => {
    // Prepare: an incident's diagnostics.json, as Quick Diagnostics wrote it for this scenario.
    const prefix = 'incidents/2026/11/22/20261122-031500-one-data-alldata-alldata-api-3f2a1c/';
    const ruleEvidence = await scenarioEvidence('alldata-mysql-access-denied');
    const data = join(dir, 'data');
    const aws = await new LocalStore(data).start();
    try {
      await new S3EvidenceStore(aws.s3, aws.bucket).putJson(`${prefix}diagnostics.json`, { ruleEvidence });
    } finally {
      await aws.stop();
    }
    const passing = await rulesFile("user 'alldata'", { evidence: prefix });
    const stale = join(dir, 'stale.yaml');
    await writeFile(stale, readFileSync(passing, 'utf8').replace("'alldata'", "'alldata_rw'"));

    // Act
    const ok = await cli('rules', 'test', '--rules', passing, '--evidence', prefix, '--data-dir', data);
    const failed = await cli('rules', 'test', '--rules', stale, '--data-dir', data);

    // Assess
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`evidence ${prefix}: 1. alldata-mysql-grants (97%)`);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`alldata-mysql-grants on evidence ${prefix}`);
  });
});
