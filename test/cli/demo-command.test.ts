import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalAws, type LocalAws } from '../../local/aws/local-aws';
import type { IncidentSummary } from '../../local/cli/incident-summary';
import { runCli, stopAllClis, type CliResult } from '../support/cli';

/*
 * `npm start` as a user runs it from a clean checkout: the real CLI process, in a fresh working
 * directory, so the evidence lands in its own .data/. A high time scale keeps it to seconds.
 */

// As fast as the sandbox reliably keeps up with on a busy machine (verify deadlines are workflow time).
const TIME_SCALE = '100';
const EXPECTED = {
  'alldata-api': 'recovered-by-restart',
  'agent-api': 'recovered-by-rollback',
  'bisheng-api': 'escalated',
};

let cwd: string;
let jsonCwd: string;
let demo: CliResult;
let jsonDemo: CliResult;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'eks-incident-demo-'));
  jsonCwd = await mkdtemp(join(tmpdir(), 'eks-incident-demo-json-'));
  // Two clean checkouts at once: what a terminal shows, and --json.
  [demo, jsonDemo] = await Promise.all([
    runCli(['demo', '--time-scale', TIME_SCALE], { cwd }),
    runCli(['demo', '--time-scale', TIME_SCALE, '--json'], { cwd: jsonCwd }),
  ]);
}, 120_000);

afterAll(async () => {
  await stopAllClis();
  await rm(cwd, { recursive: true, force: true });
  await rm(jsonCwd, { recursive: true, force: true });
});

/** The summary table's rows, by target name. */
function tableRows(stdout: string): Map<string, string> {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith('INCIDENT '));
  const rows = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (!line.trim()) break;
    const name = /Deployment [a-z-]+\/([a-z-]+)/.exec(line)?.[1];
    if (name) rows.set(name, line);
  }
  return rows;
}

describe('eks-incident demo (npm start)', () => {
  it('exits 0 with the three incidents recovered by restart, recovered by rollback and escalated', () => {
    // Assess
    expect({ code: demo.code, stderr: demo.stderr }).toEqual({ code: 0, stderr: '' });
    const rows = tableRows(demo.stdout);
    expect([...rows.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(rows.get('alldata-api')).toMatch(/recovered by restart\s+restart\s/);
    // The diagnosis decides: agent-api's bad release is rolled back without a restart first;
    // bisheng-api, OOMKilled in every revision, is paged at once and left untouched.
    expect(rows.get('agent-api')).toMatch(/recovered by rollback\s+undo to r1\s/);
    expect(rows.get('bisheng-api')).toMatch(/escalated\s+paged, dump\s/);
  });

  it('POSTs each Alertmanager webhook to the intake, then shows each state as it runs', () => {
    // Assess
    expect(demo.stdout).toMatch(/^Alertmanager → POST http:\/\/127\.0\.0\.1:\d+\/alertmanager /m);
    for (const name of Object.keys(EXPECTED)) {
      expect(demo.stdout).toMatch(
        new RegExp(
          `^  ServiceDown \\(critical, \\d+ firing\\) → Deployment [a-z-]+/${name} \\(pod ${name}-[a-z0-9-]+ → Deployment\\) → execution am-ServiceDown-`,
          'm',
        ),
      );
      // Not a terminal: one line per state, prefixed with the elapsed workflow time.
      expect(demo.stdout).toMatch(new RegExp(`\\d+s +${name} +Quick Diagnostics\\n`));
    }
    // The view's lines follow the deliveries' (the executions start as the intake answers).
    const lines = demo.stdout.split('\n');
    const lastDelivery = lines.findLastIndex((l) => l.startsWith('  ServiceDown '));
    expect(lines.findIndex((l) => / +Open Incident$/.test(l))).toBeGreaterThan(lastDelivery);
    expect(demo.stdout).toMatch(/ agent-api +Rollback\n/);
    expect(demo.stdout).toMatch(/ bisheng-api +Cluster Dump\n/);
    expect(demo.stdout).not.toContain('\x1b[');
    expect(existsSync(join(cwd, '.data/demo/alldata-api.alertmanager.json'))).toBe(true);
    expect(existsSync(join(cwd, '.data/demo/alldata-api.input.json'))).toBe(true);
  });

  it("leaves each report, bundle and the escalated incident's cluster dump in the local store", async () => {
    // Assess
    const section = demo.stdout.slice(demo.stdout.indexOf('Evidence (local store .data/s3'));
    const files = [...section.matchAll(/^ {13}(\.data\/\S+)$/gm)].map((m) => m[1]);
    const reports = files.filter((f) => f.endsWith('/report.md.data'));
    const dumps = files.filter((f) => f.endsWith('/cluster-dump/'));
    expect(reports).toHaveLength(3);
    expect(dumps).toHaveLength(1);
    expect(dumps[0]).toContain('one-data-bisheng-bisheng-api');
    for (const file of files)
      expect({ file, exists: existsSync(join(cwd, file)) }).toEqual({ file, exists: true });
    expect(readdirSync(join(cwd, dumps[0])).length).toBeGreaterThan(0);
    for (const report of reports) {
      const bundle = report.replace(/report\.md\.data$/, '');
      for (const name of [
        'diagnostics.json.data',
        'events.json.data',
        'manifest.json.data',
        'report.json.data',
      ]) {
        expect(existsSync(join(cwd, bundle, name))).toBe(true);
      }
      expect(await readFile(join(cwd, report), 'utf8')).toMatch(/^# Incident /);
    }
    expect(section).toMatch(/s3:\/\/eks-incident-evidence\/incidents\/\d{4}\/\d\d\/\d\d\/[^/]+\/report\.md/);
    expect(demo.stdout).toMatch(/\[CRITICAL\] escalated: Deployment one-data-bisheng\/bisheng-api/);
  });

  it('lists the incidents with `evidence` and prints a report with `report`', async () => {
    // Prepare
    const escalatedId = /^(\S+-one-data-bisheng-bisheng-api-[0-9a-f]{6}) /m.exec(demo.stdout)![1];

    // Act
    const [listed, report, reportJson, table] = await Promise.all([
      runCli(['evidence', '--json'], { cwd }),
      runCli(['report', escalatedId], { cwd }),
      runCli(['report', escalatedId, '--json'], { cwd }),
      runCli(['evidence'], { cwd }),
    ]);

    // Assess
    expect(listed.code).toBe(0);
    const incidents = JSON.parse(listed.stdout) as Array<{
      id: string;
      outcome: string;
      target: { name: string };
    }>;
    expect(incidents.find((i) => i.target.name === 'bisheng-api')?.id).toBe(escalatedId);
    expect(Object.fromEntries(incidents.map((i) => [i.target.name, i.outcome]))).toEqual(EXPECTED);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(`# Incident ${escalatedId}`);
    expect(report.stdout).toContain('Escalated to a human');
    expect(JSON.parse(reportJson.stdout)).toMatchObject({ incidentId: escalatedId, outcome: 'escalated' });
    expect(table.stdout.split('\n')[0]).toMatch(/^INCIDENT +OPENED +TARGET +OUTCOME +PREFIX$/);
    expect(table.stdout).toContain(`${escalatedId}  `);
  });

  it('reads the same store as an S3 bucket with --bucket (the path a real bucket takes)', async () => {
    // Prepare: the store's files served over the S3 API, as a real bucket would be.
    const s3: LocalAws = await startLocalAws({ s3StorageDir: join(cwd, '.data/s3') });
    try {
      const env = {
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      };

      // Act
      const [listed, missing] = await Promise.all([
        runCli(['evidence', '--json', '--bucket', 's3://eks-incident-evidence'], { env }),
        runCli(['evidence', '--bucket', 's3://no-such-evidence-bucket'], { env }),
      ]);

      // Assess
      expect(listed.code).toBe(0);
      const incidents = JSON.parse(listed.stdout) as Array<{ prefix: string }>;
      expect(incidents).toHaveLength(3);
      for (const i of incidents) expect(i.prefix).toMatch(/^s3:\/\/eks-incident-evidence\/incidents\//);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(
        'eks-incident: bucket "no-such-evidence-bucket" not found: check the name (the stack\'s EvidenceBucketName output), or omit --bucket to use the local store\n',
      );
    } finally {
      await s3.stop();
    }
  });

  it('with --json, prints the summary as JSON on stdout and the progress on stderr', () => {
    // Assess
    const result = jsonDemo;
    expect({
      code: result.code,
      errors: result.stderr.split('\n').filter((l) => l.startsWith('eks-incident: ')),
    }).toEqual({
      code: 0,
      errors: [],
    });
    const summary = JSON.parse(result.stdout) as {
      timeScale: number;
      store: { path: string; bucket: string };
      incidents: IncidentSummary[];
      notifications: Array<{ stage: string }>;
    };
    expect(summary.timeScale).toBe(Number(TIME_SCALE));
    expect(summary.store).toEqual({ path: '.data/s3', bucket: 'eks-incident-evidence' });
    expect(Object.fromEntries(summary.incidents.map((i) => [i.label, i.outcome]))).toEqual(EXPECTED);
    const bisheng = summary.incidents.find((i) => i.label === 'bisheng-api')!;
    expect(bisheng.actions).toEqual(['paged a human', 'cluster dump']);
    expect(bisheng.evidence?.clusterDump).toMatch(
      /^s3:\/\/eks-incident-evidence\/incidents\/.+\/cluster-dump\/$/,
    );
    expect(existsSync(join(jsonCwd, bisheng.evidence!.files!.report!))).toBe(true);
    // The default policy asks a human before agent-api's rollback; the demo answers it.
    expect(summary.incidents.find((i) => i.label === 'agent-api')?.approval).toMatch(
      /^rollback approved by eks-incident demo \(auto-approved after 3 s\) at /,
    );
    expect(summary.notifications.map((n) => n.stage).sort()).toEqual([
      'approval',
      'escalated',
      'opened',
      'opened',
      'opened',
      'recovered',
      'recovered',
    ]);
    expect(result.stderr).toMatch(/ bisheng-api +done: escalated\n/);
  });
});
