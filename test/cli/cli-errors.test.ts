import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalAws, type LocalAws } from '../../local/aws/local-aws';
import { LocalStore } from '../../local/cli/local-store';
import { main } from '../../local/cli/main';
import { startSandbox, type Sandbox } from '../../local/kube-sandbox/sandbox';
import { recordingStreams } from '../support/cli';

/*
 * Every error a user can make or meet is one line on stderr, `eks-incident: <what> <fix>`, with
 * a non-zero exit code, and leaves nothing behind: the commands run in-process here (the
 * spawned CLI's own error paths are in the other test/cli files).
 */

let dir: string;
let data: string;
let sandbox: Sandbox;
let kubeconfig: string;
let aws: LocalAws;
const savedEnv = { ...process.env };

beforeAll(async () => {
  sandbox = await startSandbox({ scenario: 'empty' });
  aws = await startLocalAws();
});

afterAll(async () => {
  await sandbox.stop();
  await aws.stop();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eks-incident-errors-'));
  data = join(dir, 'data');
  kubeconfig = join(dir, 'kubeconfig');
  await sandbox.writeKubeconfig(kubeconfig);
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const streams = recordingStreams();
  const code = await main(['node', 'eks-incident', ...args], streams);
  return { code, stdout: streams.stdout(), stderr: streams.stderr() };
}

async function inputFile(content: unknown): Promise<string> {
  const file = join(dir, 'input.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const VALID_INPUT = {
  source: 'manual',
  target: { namespace: 'default', kind: 'Deployment', name: 'web' },
  alert: { name: 'ServiceDown', severity: 'critical', startsAt: '2026-11-22T03:00:00Z' },
};
/** A target the empty sandbox has: the default namespace, as a namespace-level incident. */
const NAMESPACE_INPUT = { ...VALID_INPUT, target: { namespace: 'default', kind: 'Namespace' } };

/** Points the AWS SDK at the local emulator, as AWS_ENDPOINT_URL_* would point it at any endpoint. */
function useLocalAwsEndpoints(): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    AWS_ENDPOINT_URL_SNS: aws.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
}

describe('eks-incident run: one line, exit 1, nothing written', () => {
  test.each([
    {
      name: 'no --input',
      args: () => ['run'],
      stderr: "eks-incident: required option '--input <file>' not specified (add --help for usage)\n",
    },
    {
      name: 'a missing input file',
      args: () => ['run', '--input', join(dir, 'nope.json'), '--dry-run'],
      stderr: () =>
        `eks-incident: input file ${join(dir, 'nope.json')} not found: pass the execution input as --input FILE (or - for stdin)\n`,
    },
  ])('$name', async ({ args, stderr }) => {
    // Act
    const result = await cli(...args(), '--data-dir', data);

    // Assess
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: typeof stderr === 'function' ? stderr() : stderr,
    });
    expect(existsSync(data)).toBe(false);
  });

  test('an input that is not JSON', async () => {
    // Act
    const result = await cli(
      'run',
      '--input',
      await inputFile('{"source": '),
      '--dry-run',
      '--data-dir',
      data,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^eks-incident: input .+input\.json is not valid JSON \(.+\); see docs\/workflow\.md for the shape\n$/,
    );
    expect(existsSync(data)).toBe(false);
  });

  test('an input with a bad field names the field', async () => {
    // Act
    const file = await inputFile({
      ...VALID_INPUT,
      target: { ...VALID_INPUT.target, namespace: 'Not_A_NS' },
    });
    const result = await cli('run', '--input', file, '--dry-run', '--data-dir', data);

    // Assess
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `eks-incident: input ${file}: invalid execution input: target.namespace: must be a Kubernetes namespace name (RFC 1123 label)\n`,
    });
    expect(existsSync(data)).toBe(false);
  });

  test('acting without --allowed-namespaces', async () => {
    // Act
    const result = await cli('run', '--input', await inputFile(VALID_INPUT), '--kubeconfig', kubeconfig);

    // Assess
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'eks-incident: --allowed-namespaces is required to let the flow restart or roll back (e.g. --allowed-namespaces default); add --dry-run to only diagnose\n',
    });
  });

  test('a kubeconfig file that does not exist', async () => {
    // Act
    const missing = join(dir, 'missing.kubeconfig');
    const result = await cli(
      'run',
      '--input',
      await inputFile(VALID_INPUT),
      '--dry-run',
      '--kubeconfig',
      missing,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `eks-incident: kubeconfig ${missing} not found: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config ` +
        '(EKS: aws eks update-kubeconfig --name CLUSTER; the sandbox: eks-incident sandbox --kubeconfig-out FILE)\n',
    );
  });

  test('no kubeconfig at all', async () => {
    // Prepare: no KUBECONFIG, and a home without ~/.kube/config.
    delete process.env.KUBECONFIG;
    delete process.env.KUBERNETES_SERVICE_HOST;
    process.env.HOME = dir;

    // Act
    const result = await cli('run', '--input', await inputFile(VALID_INPUT), '--dry-run', '--data-dir', data);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^eks-incident: no kubeconfig found: pass --kubeconfig FILE, set KUBECONFIG, /,
    );
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(existsSync(data)).toBe(false);
  });

  test('a context the kubeconfig does not have', async () => {
    // Act
    const result = await cli(
      'run',
      '--input',
      await inputFile(VALID_INPUT),
      '--dry-run',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'prod',
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `eks-incident: cannot use kubeconfig ${kubeconfig}: kubeconfig has no context "prod"; it has: eks-incident-sandbox\n`,
    );
  });

  test('a target the cluster does not have', async () => {
    // Act
    const result = await cli(
      'run',
      '--input',
      await inputFile(VALID_INPUT),
      '--dry-run',
      '--kubeconfig',
      kubeconfig,
      '--data-dir',
      data,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `eks-incident: Deployment default/web not found in the Kubernetes API at ${sandbox.url} (context eks-incident-sandbox): check the input's target\n`,
    );
    expect(existsSync(data)).toBe(false);
  });

  test('an evidence bucket that does not exist', async () => {
    // Prepare
    useLocalAwsEndpoints();

    // Act
    const result = await cli(
      'run',
      '--input',
      await inputFile(NAMESPACE_INPUT),
      '--dry-run',
      '--kubeconfig',
      kubeconfig,
      '--bucket',
      's3://no-such-evidence-bucket',
      '--data-dir',
      data,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'eks-incident: bucket "no-such-evidence-bucket" not found: check the name (the stack\'s EvidenceBucketName output), or omit --bucket to use the local store\n',
    );
    expect(existsSync(data)).toBe(false);
  });

  test('a notification topic that does not exist', async () => {
    // Prepare
    useLocalAwsEndpoints();
    const topic = 'arn:aws:sns:eu-west-1:000000000000:no-such-topic';

    // Act
    const result = await cli(
      'run',
      '--input',
      await inputFile(NAMESPACE_INPUT),
      '--dry-run',
      '--kubeconfig',
      kubeconfig,
      '--topic-arn',
      topic,
      '--data-dir',
      data,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `eks-incident: SNS topic ${topic} not found: check the ARN (the stack's NotificationTopicArn output)\n`,
    );
    expect(existsSync(data)).toBe(false);
  });

  test('no AWS credentials for --bucket', async () => {
    // Prepare: nothing in the environment or the profile files, and no instance metadata.
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
      delete process.env[name];
    }
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'eu-west-1',
    });

    // Act
    const result = await cli('evidence', '--bucket', 's3://some-evidence-bucket');

    // Assess
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'eks-incident: no AWS credentials found: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or omit --bucket to use the local store\n',
    });
  });
});

describe('eks-incident report and evidence', () => {
  test('no local store yet', async () => {
    // Act
    const result = await cli('evidence', '--data-dir', data);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `eks-incident: no local evidence store in ${data}: run \`npm start\` (the demo) or \`eks-incident run\` first, or read a bucket with --bucket s3://NAME\n`,
    );
    expect(existsSync(data)).toBe(false);
  });

  test('something that is not an incident id', async () => {
    // Act
    const result = await cli('report', 'alldata-api', '--data-dir', data);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'eks-incident: "alldata-api" is not an incident id (like 20261122-031500-one-data-alldata-alldata-api-3f2a1c); list them with: eks-incident evidence\n',
    );
  });

  test('an incident the store does not have', async () => {
    // Prepare: an empty store.
    await mkdir(data);
    await (await new LocalStore(data).start()).stop();
    const id = '20261122-031500-one-data-alldata-alldata-api-3f2a1c';

    // Act
    const result = await cli('report', id, '--data-dir', data);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^eks-incident: no incident ${id} in local store .+; list them with: eks-incident evidence\\n$`,
      ),
    );
  });

  test('an empty store lists nothing, and says so', async () => {
    // Prepare
    await (await new LocalStore(data).start()).stop();

    // Act
    const result = await cli('evidence', '--data-dir', data);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^No incidents in local store .+ yet\.\n$/);
  });

  test('--bucket that is not an S3 bucket', async () => {
    // Act
    const result = await cli('evidence', '--bucket', 's3://X');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "eks-incident: option '--bucket <s3://name>' argument 's3://X' is invalid. must be an S3 bucket, as s3://NAME (for example s3://my-evidence-bucket) (add --help for usage)\n",
    );
  });
});

describe('usage errors', () => {
  test.each([
    [['bogus'], "eks-incident: unknown command 'bogus' (add --help for usage)\n"],
    [
      ['rbac', '--namespaces', 'Bad_NS'],
      "eks-incident: option '--namespaces <a,b>' argument 'Bad_NS' is invalid. \"Bad_NS\" is not a Kubernetes namespace name (add --help for usage)\n",
    ],
    [
      ['rbac', '--namespaces', 'apps', '--group', 'system:masters'],
      'eks-incident: invalid Kubernetes group name for the RBAC manifest: "system:masters": use a lowercase name not starting with system:, eks:, aws:, amazon: or iam:\n',
    ],
    [
      ['asl', '--context', 'region'],
      "eks-incident: option '--context <key=value>' argument 'region' is invalid. must be key=value, e.g. --context region=eu-west-1 (add --help for usage)\n",
    ],
    [
      ['demo', '--time-scale', '0'],
      "eks-incident: option '--time-scale <n>' argument '0' is invalid. must be a number above 0 and at most 10000 (add --help for usage)\n",
    ],
  ])('%j', async (args, stderr) => {
    // Act
    const result = await cli(...args);

    // Assess
    expect(result).toEqual({ code: 1, stdout: '', stderr });
  });

  test('asl with a bad stack setting names it', async () => {
    // Act
    const result = await cli('asl', '--context', 'region=mars');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'eks-incident: invalid CDK context: region: must be an AWS region such as eu-west-1 (set with -c region=...)\n',
    );
  });

  test('--help for every command shows examples, and exits 0', async () => {
    for (const command of ['demo', 'run', 'asl', 'report', 'evidence', 'rbac']) {
      // Act
      const result = await cli(command, '--help');

      // Assess
      expect({ command, code: result.code }).toEqual({ command, code: 0 });
      expect(result.stdout).toContain(`Usage: eks-incident ${command}`);
      expect(result.stdout).toContain('Examples:');
    }
  });
});
