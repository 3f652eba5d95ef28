import { redactObject, redactText } from '../lambdas/shared/redact';
import { NEGATIVES, SECRET_CASES } from '../test/fixtures/secret-corpus';
import type { Figure, Section } from './results-file';
import { medianAndRange, summarize } from './stats';

/**
 * What redaction costs the steps that write evidence: a few MB of container log (the
 * corpus's ordinary lines with one credential line in 50, as a crash-looping service's log
 * looks), and the pods of a large namespace as the cluster dump writes them (each object
 * redacted, then its record again by the evidence store).
 */

const LOG_BYTES = 4 * 1024 * 1024;
const PODS = 2000;
const RUNS = 5;

function logText(): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < LOG_BYTES; i++) {
    const line =
      i % 50 === 49
        ? SECRET_CASES[((i / 50) % SECRET_CASES.length) | 0].line
        : `2026-11-22T03:00:${String(i % 60).padStart(2, '0')}.123Z INFO ${NEGATIVES[i % NEGATIVES.length]}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

function pod(i: number): Record<string, unknown> {
  const name = `alldata-api-5d8f7c9b6d-${String(i).padStart(5, '0')}`;
  return {
    metadata: {
      name,
      namespace: 'one-data-alldata',
      uid: `3f2a1c9e-5b7d-4e2f-9a8b-${String(i).padStart(12, '0')}`,
      labels: { app: 'alldata-api', 'pod-template-hash': '5d8f7c9b6d' },
      creationTimestamp: '2026-11-22T03:00:00Z',
    },
    spec: {
      nodeName: 'ip-10-0-1-23.ec2.internal',
      containers: [
        {
          name: 'api',
          image: 'registry.example.com/one-data/alldata-api:v2.3.1',
          args: ['--port', '8080', '--log-level', 'info'],
          env: Array.from({ length: 15 }, (_, k) => ({ name: `VAR_${k}`, value: `value-${k}-milvus-proxy` })),
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: '10.0.3.7',
      containerStatuses: [
        {
          name: 'api',
          restartCount: 3,
          imageID:
            'registry.example.com/one-data/alldata-api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
          containerID: 'containerd://4f1b2b0b822cd15d6c15b0f00a089f86d081884c7d659a2feaa0c55ad015a3bf',
        },
      ],
    },
  };
}

function time(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

export async function benchRedaction(): Promise<Section> {
  const log = logText();
  const megabytes = Buffer.byteLength(log) / 2 ** 20;
  const pods = Array.from({ length: PODS }, (_, i) => pod(i));
  redactText(log.slice(0, 100_000));
  const text = summarize(
    Array.from({ length: RUNS }, () => megabytes / (time(() => redactText(log)) / 1000)),
  );
  const objects = summarize(
    Array.from({ length: RUNS }, () =>
      time(() => {
        for (const p of pods) redactText(`,\n${JSON.stringify(redactObject(p))}`);
      }),
    ),
  );
  const figures: Figure[] = [
    {
      name: 'container log text',
      value: text.median,
      unit: 'MB/s',
      note: `${megabytes.toFixed(1)} MiB, one credential line in 50; ${medianAndRange(text)}`,
      spread: { min: text.min, max: text.max, runs: RUNS },
    },
    {
      name: `${PODS} pods as the cluster dump writes them`,
      value: objects.median,
      unit: 'ms',
      note: `object, then record; ${medianAndRange(objects, 0)}`,
      spread: { min: objects.min, max: objects.max, runs: RUNS },
    },
  ];
  return {
    title: 'Redaction',
    setup: `redactText and redactObject in-process, ${RUNS} runs each`,
    figures,
  };
}
