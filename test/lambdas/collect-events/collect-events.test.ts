import { GetObjectCommand } from '@aws-sdk/client-s3';
import { collectEvents } from '../../../lambdas/collect-events/collect-events';
import type { Manifest } from '../../../lambdas/shared/evidence/evidence-store';
import { S3EvidenceStore } from '../../../lambdas/shared/evidence/s3-evidence-store';
import { startLocalAws, type LocalAws } from '../../support/aws';
import {
  deployment,
  incident,
  startStepSandbox,
  stepEvent,
  target,
  type StepSandbox,
} from '../step-fixtures';

let aws: LocalAws;
let s: StepSandbox;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

afterEach(async () => {
  await s?.sandbox.stop();
});

async function json<T>(key: string): Promise<T> {
  const response = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  return JSON.parse(await response.Body!.transformToString()) as T;
}

interface EventDoc {
  items: Array<{
    reason: string;
    type: string;
    involvedObject: { kind: string; name: string };
    metadata: object;
    series?: { lastObservedTime: string };
    lastTimestamp?: string;
    eventTime?: string;
  }>;
}

describe('collectEvents', () => {
  it('writes the workload’s events in kubectl events order and the manifest of the bundle', async () => {
    // Prepare: a crash-looping Deployment next to an unrelated one, and diagnostics already written.
    s = await startStepSandbox([
      deployment('alldata-api', { behavior: { api: { mode: 'crash', logs: ['boom'] } } }),
      deployment('kettle-worker'),
    ]);
    await s.advance(30);
    const inc = incident(target('alldata-api'));
    const store = new S3EvidenceStore(aws.s3, aws.bucket);
    const diagnostics = await store.putJson(`${inc.evidencePrefix}diagnostics.json`, {
      written: 'by diagnose',
    });

    // Act
    const result = await collectEvents(stepEvent({ incident: inc }), {
      kube: s.kube,
      evidence: store,
      now: s.now,
    });

    // Assess
    const doc = await json<EventDoc>(result.evidence.events);
    expect(result.count).toBe(doc.items.length);
    expect(result.warnings).toBe(doc.items.filter((e) => e.type === 'Warning').length);
    expect(result.warnings).toBeGreaterThan(0);
    const reasons = doc.items.map((e) => `${e.involvedObject.kind}/${e.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining(['Deployment/ScalingReplicaSet', 'ReplicaSet/SuccessfulCreate', 'Pod/BackOff']),
    );
    expect(doc.items.some((e) => e.involvedObject.name.startsWith('kettle-worker'))).toBe(false);
    expect(doc.items.some((e) => 'managedFields' in e.metadata)).toBe(false);
    // kubectl events: by series.lastObservedTime, else lastTimestamp, else eventTime, oldest first.
    const times = doc.items.map((e) =>
      Date.parse(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? ''),
    );
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const manifest = await json<Manifest>(result.evidence.manifest);
    expect(manifest.objects.map((o) => o.key)).toEqual([diagnostics.key, result.evidence.events]);
    expect(manifest.objects[0]).toEqual(diagnostics);
  });
});
