import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
// fauxqs is ESM-only: its types resolve as an import, its code loads through import().
import type { FauxqsServer } from 'fauxqs' with { 'resolution-mode': 'import' };
import { writeStoredObjects, type StoredS3Object } from './stored-objects';

/**
 * S3, SNS and SQS on a real HTTP server (fauxqs), standing in for the AWS services the
 * workflow uses: the SDK clients talk to it exactly as they talk to AWS.
 */
export interface LocalAws {
  server: FauxqsServer;
  /** http://127.0.0.1:PORT, for AWS_ENDPOINT_URL-style configuration. */
  endpoint: string;
  region: string;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  bucket: string;
  topicArn: string;
  /** A queue subscribed to the topic: what was published is read back through it. */
  queueUrl: string;
  stop(): Promise<void>;
}

export interface LocalAwsOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** Keep S3 objects as files in this folder (they survive a restart). @default in memory */
  s3StorageDir?: string;
  /** @default 'eu-west-1' */
  region?: string;
  /** @default 'eks-incident-evidence' */
  bucket?: string;
  /** @default 'eks-incident-notifications' */
  topic?: string;
  /**
   * Objects S3 already holds when it starts, with their Last-Modified (last nights' backups).
   * They are written to `s3StorageDir`, or to a temporary one removed at stop.
   */
  s3Objects?: readonly StoredS3Object[];
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const { startFauxqs } = await import('fauxqs');
  const region = options.region ?? 'eu-west-1';
  const bucket = options.bucket ?? 'eks-incident-evidence';
  const topic = options.topic ?? 'eks-incident-notifications';
  const temporaryDir =
    options.s3Objects?.length && !options.s3StorageDir
      ? mkdtempSync(path.join(tmpdir(), 'eks-incident-s3-'))
      : undefined;
  const s3StorageDir = options.s3StorageDir ?? temporaryDir;
  if (s3StorageDir && options.s3Objects) writeStoredObjects(s3StorageDir, options.s3Objects);
  const server = await startFauxqs({
    port: options.port ?? 0,
    logger: false,
    ...(s3StorageDir ? { s3StorageDir } : {}),
  });
  const queue = `${topic}-subscriber`;
  const created = server.setup({
    queues: [{ name: queue, region }],
    topics: [{ name: topic, region }],
    subscriptions: [{ topic, queue, region }],
    buckets: [bucket],
  });
  // An IP endpoint makes the SDK address buckets path-style, as it would LocalStack or MinIO.
  const config = { endpoint: server.address, region, credentials };
  const clients = { s3: new S3Client(config), sns: new SNSClient(config), sqs: new SQSClient(config) };
  return {
    server,
    endpoint: server.address,
    region,
    ...clients,
    bucket,
    topicArn: created.topics[0].arn,
    queueUrl: created.queues[0].url,
    async stop() {
      clients.s3.destroy();
      clients.sns.destroy();
      clients.sqs.destroy();
      await server.stop();
      if (temporaryDir) rmSync(temporaryDir, { recursive: true, force: true });
    },
  };
}

/** An SNS notification as an SQS subscriber receives it (the SNS envelope, parsed). */
export interface ReceivedNotification {
  Subject?: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** Every notification waiting in the subscribed queue; they are consumed. */
export async function receiveNotifications(aws: LocalAws): Promise<ReceivedNotification[]> {
  const received: ReceivedNotification[] = [];
  for (;;) {
    const page = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!page.Messages?.length) return received;
    received.push(...page.Messages.map((m) => JSON.parse(m.Body!) as ReceivedNotification));
    await aws.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: aws.queueUrl,
        Entries: page.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}
