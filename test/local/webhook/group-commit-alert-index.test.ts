import { EvidenceAlertIndex, type IndexedAlert } from '../../../lambdas/intake/alert-index';
import { IntakeUnavailableError } from '../../../lambdas/intake/errors';
import type { EvidenceStore } from '../../../lambdas/shared/evidence/evidence-store';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { createLogger } from '../../../lambdas/shared/observability/logger';
import { startLocalAws, type LocalAws } from '../../../local/aws/local-aws';
import {
  BATCH_PREFIX,
  GroupCommitAlertIndex,
  type AlertIndexBatch,
} from '../../../local/webhook/group-commit-alert-index';
import { LocalExecutionStarter } from '../../../local/webhook/local-execution-starter';
import { startWebhookServer } from '../../../local/webhook/serve';
import { CRASHLOOP_FIRING, nameDerivedOwners } from '../../support/alertmanager';

/*
 * The group commit of `eks-incident serve`'s alert index, on fauxqs over HTTP: what is answered
 * is durable, a failed write fails every delivery it carried, and repeats share one write.
 */

const TOKEN = 'group-commit-token-5e6f7a8b';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:IncidentResponse';

const firing = CRASHLOOP_FIRING;

const owners = nameDerivedOwners;

let aws: LocalAws;
let evidence: S3EvidenceStore;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(() => {
  aws.server.reset();
  evidence = new S3EvidenceStore(aws.s3, aws.bucket);
});

function indexed(alertHash: string, executionName: string): IndexedAlert {
  return {
    alertHash,
    entry: {
      kind: 'AlertIndexEntry',
      executionName,
      fingerprint: alertHash.slice(0, 16),
      startsAt: '2026-11-22T04:42:33Z',
      indexedAt: '2026-11-22T04:43:00Z',
    },
  };
}

/** The evidence store, with its batch writes failing while `failing` is set. */
function flakyStore(inner: EvidenceStore): EvidenceStore & { failing: boolean; batchWrites: number } {
  const flaky = Object.create(inner) as EvidenceStore & { failing: boolean; batchWrites: number };
  flaky.failing = false;
  flaky.batchWrites = 0;
  flaky.putJson = async (key, value) => {
    if (key.startsWith(BATCH_PREFIX)) {
      flaky.batchWrites += 1;
      if (flaky.failing) throw Object.assign(new Error('S3 is down'), { name: 'ServiceUnavailable' });
    }
    return inner.putJson(key, value);
  };
  return flaky;
}

async function batches(): Promise<AlertIndexBatch[]> {
  const keys = await evidence.keys(BATCH_PREFIX);
  return Promise.all(keys.map(async (key) => (await evidence.getJson<AlertIndexBatch>(key))!));
}

describe('GroupCommitAlertIndex', () => {
  it('writes the entries of concurrent deliveries as one object, and resolves each only once it has landed', async () => {
    // Prepare
    const index = new GroupCommitAlertIndex(evidence, { windowMs: 5 });
    const landedWith: number[] = [];

    // Act
    await Promise.all(
      ['a', 'b', 'c'].map(async (hash) => {
        await index.record([indexed(hash.repeat(64), `am-${hash}`)]);
        landedWith.push((await batches()).flatMap((batch) => batch.entries).length);
      }),
    );

    // Assess
    expect(await batches()).toHaveLength(1);
    expect(landedWith).toEqual([3, 3, 3]);
    expect(await index.executionsOf('b'.repeat(64))).toEqual(['am-b']);
  });

  it('fails every delivery of a group whose write failed, forgets its entries, and writes them again on retry', async () => {
    // Prepare
    const store = flakyStore(evidence);
    const index = new GroupCommitAlertIndex(store, { windowMs: 5 });
    store.failing = true;

    // Act
    const outcomes = await Promise.allSettled([
      index.record([indexed('a'.repeat(64), 'am-a')]),
      index.record([indexed('b'.repeat(64), 'am-b')]),
      index.record([indexed('a'.repeat(64), 'am-a')]),
    ]);
    const afterFailure = await index.executionsOf('a'.repeat(64));
    store.failing = false;
    await index.record([indexed('a'.repeat(64), 'am-a')]);

    // Assess
    expect(store.batchWrites).toBe(2);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(IntakeUnavailableError);
    }
    expect(afterFailure).toEqual([]);
    expect(await index.executionsOf('a'.repeat(64))).toEqual(['am-a']);
  });

  it('makes a lookup wait for the write of an entry it finds, and returns only durable entries', async () => {
    // Prepare
    const index = new GroupCommitAlertIndex(evidence, { windowMs: 20 });
    const recording = index.record([indexed('a'.repeat(64), 'am-a')]);
    let recorded = false;
    void recording.then(() => (recorded = true));

    // Act
    const found = await index.executionsOf('a'.repeat(64));

    // Assess
    expect(found).toEqual(['am-a']);
    expect(recorded).toBe(true);
    await recording;
  });

  it('finds after a restart what it wrote and what the per-entry index wrote', async () => {
    // Prepare
    await new EvidenceAlertIndex(evidence).record([indexed('a'.repeat(64), 'am-a')]);
    await new GroupCommitAlertIndex(evidence).record([indexed('a'.repeat(64), 'am-a-r1')]);

    // Act
    const restarted = new GroupCommitAlertIndex(evidence);

    // Assess
    expect((await restarted.executionsOf('a'.repeat(64))).sort()).toEqual(['am-a', 'am-a-r1']);
    expect(await restarted.executionsOf('b'.repeat(64))).toEqual([]);
  });
});

describe('startWebhookServer with the group commit', () => {
  async function serverWith(store: EvidenceStore) {
    const starter = new LocalExecutionStarter({
      run: () => new Promise(() => undefined),
      stateMachineArn: STATE_MACHINE_ARN,
    });
    const server = await startWebhookServer({
      port: 0,
      token: TOKEN,
      starter,
      evidence: store,
      resolve: { rules: [], owners, defaultNamespace: 'kube-system' },
      now: () => new Date(),
      log: createLogger({ write: () => undefined }),
    });
    const post = (body: unknown) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
    return { server, starter, post };
  }

  it('starts one execution for repeats that share one write, and writes it once', async () => {
    // Prepare
    const store = flakyStore(evidence);
    const { server, starter, post } = await serverWith(store);

    try {
      // Act
      const responses = await Promise.all(Array.from({ length: 10 }, () => post(firing)));

      // Assess
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{
        executions: Array<{ started: boolean }>;
      }>;
      expect(bodies.flatMap((b) => b.executions).filter((e) => e.started)).toHaveLength(1);
      expect(starter.list()).toHaveLength(1);
      expect(store.batchWrites).toBe(1);
      const entries = (await batches()).flatMap((batch) => batch.entries);
      expect(entries.map((e) => e.entry.executionName)).toEqual(entries.map(() => starter.list()[0].name));
      expect(entries).toHaveLength((firing.alerts as unknown[]).length);
    } finally {
      await server.close();
    }
  });

  it('answers 503 to every delivery of a group whose write failed, and their retries 200', async () => {
    // Prepare: three different groups arriving together.
    const store = flakyStore(evidence);
    const { server, starter, post } = await serverWith(store);
    const groups = [1, 2, 3].map((i) => ({
      ...firing,
      groupKey: `{}:{alertname="KubePodCrashLooping",g="${i}"}`,
    }));
    store.failing = true;

    try {
      // Act
      const failed = await Promise.all(groups.map(post));
      store.failing = false;
      const retried = await Promise.all(groups.map(post));

      // Assess
      expect(failed.map((r) => r.status)).toEqual([503, 503, 503]);
      expect(retried.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(starter.list()).toHaveLength(3);
      const indexedTo = new Set(
        (await batches()).flatMap((b) => b.entries.map((e) => e.entry.executionName)),
      );
      expect([...indexedTo].sort()).toEqual(
        starter
          .list()
          .map((e) => e.name)
          .sort(),
      );
    } finally {
      await server.close();
    }
  });
});
