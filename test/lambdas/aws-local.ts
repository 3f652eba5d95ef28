import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
// fauxqs is ESM-only: its types resolve as an import, its code loads through import().
import type { FauxqsServer } from 'fauxqs' with { 'resolution-mode': 'import' };

/**
 * S3, SNS and SQS on a real HTTP server (fauxqs) for the Lambdas' tests: the SDK clients
 * talk to it exactly as they talk to AWS.
 */
export interface LocalAws {
  server: FauxqsServer;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  bucket: string;
  topicArn: string;
  /** A queue subscribed to the topic: SNS messages are read back through it. */
  queueUrl: string;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
export const REGION = 'eu-west-1';

export async function startLocalAws(): Promise<LocalAws> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, logger: false });
  const bucket = 'evidence-bucket';
  const result = server.setup({
    queues: [{ name: 'pager', region: REGION }],
    topics: [{ name: 'incidents', region: REGION }],
    subscriptions: [{ topic: 'incidents', queue: 'pager', region: REGION }],
    buckets: [bucket],
  });
  // An IP endpoint makes the SDK address buckets path-style, as it would LocalStack or MinIO.
  const config = { endpoint: server.address, region: REGION, credentials };
  const clients = { s3: new S3Client(config), sns: new SNSClient(config), sqs: new SQSClient(config) };
  return {
    server,
    ...clients,
    bucket,
    topicArn: result.topics[0].arn,
    queueUrl: result.queues[0].url,
    async stop() {
      clients.s3.destroy();
      clients.sns.destroy();
      clients.sqs.destroy();
      await server.stop();
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
