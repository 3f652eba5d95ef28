import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { InvalidArgumentError } from 'commander';
import { CliError } from './cli-error';

/**
 * The user's own AWS resources for `--bucket` and `--topic-arn`: clients with the standard
 * credential chain (profile, environment, SSO...) and endpoint settings (`AWS_ENDPOINT_URL_S3`),
 * checked once up front so a typo or missing credentials fail before anything is written.
 */

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** commander parser for `--bucket s3://NAME`. */
export function parseBucketOption(value: string): string {
  const name = value.startsWith('s3://') ? value.slice('s3://'.length).replace(/\/$/, '') : value;
  if (!BUCKET_NAME.test(name)) {
    throw new InvalidArgumentError(
      'must be an S3 bucket, as s3://NAME (for example s3://my-evidence-bucket)',
    );
  }
  return name;
}

/** commander parser for `--topic-arn`. */
export function parseTopicArnOption(value: string): string {
  if (!TOPIC_ARN.test(value)) {
    throw new InvalidArgumentError('must be an SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME');
  }
  return value;
}

export interface Bucket {
  s3: S3Client;
  bucket: string;
  region: string;
}

/** The region the SDK would use from the environment or profile, if any is configured. */
async function configuredRegion(): Promise<string | undefined> {
  const client = new S3Client({});
  try {
    return await client.config.region();
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

function awsFailure(error: unknown): { name: string; status?: number; message: string } {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return {
    name: e.name ?? 'Error',
    status: e.$metadata?.httpStatusCode,
    message: e.message ?? String(error),
  };
}

const NO_CREDENTIALS =
  'no AWS credentials found: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';

/** Opens an existing bucket in whatever region it lives; one clear error when it cannot be used. */
export async function openBucket(bucket: string): Promise<Bucket> {
  const fallbackRegion = (await configuredRegion()) ?? 'us-east-1';
  const probe = new S3Client({ region: fallbackRegion, followRegionRedirects: true });
  let region = fallbackRegion;
  try {
    const head = await probe.send(new HeadBucketCommand({ Bucket: bucket }));
    region = head.BucketRegion ?? fallbackRegion;
  } catch (error) {
    const failure = awsFailure(error);
    if (failure.name === 'CredentialsProviderError') {
      throw new CliError(`${NO_CREDENTIALS}, or omit --bucket to use the local store`);
    }
    if (failure.status === 404 || failure.name === 'NotFound' || failure.name === 'NoSuchBucket') {
      throw new CliError(
        `bucket "${bucket}" not found: check the name (the stack's EvidenceBucketName output), or omit --bucket to use the local store`,
      );
    }
    if (failure.status === 403) {
      throw new CliError(
        `access to bucket "${bucket}" denied with your AWS credentials: check AWS_PROFILE and the bucket's policy`,
      );
    }
    throw new CliError(`cannot use bucket "${bucket}": ${failure.name}: ${failure.message}`);
  } finally {
    probe.destroy();
  }
  return { s3: new S3Client({ region }), bucket, region };
}

/** An SNS client for a real topic, checked to exist. */
export async function openTopic(topicArn: string): Promise<SNSClient> {
  const region = TOPIC_ARN.exec(topicArn)![1];
  const sns = new SNSClient({ region });
  try {
    await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
  } catch (error) {
    sns.destroy();
    const failure = awsFailure(error);
    if (failure.name === 'CredentialsProviderError') {
      throw new CliError(`${NO_CREDENTIALS}, or omit --topic-arn to keep notifications local`);
    }
    if (failure.name === 'NotFoundException' || failure.name === 'NotFound') {
      throw new CliError(
        `SNS topic ${topicArn} not found: check the ARN (the stack's NotificationTopicArn output)`,
      );
    }
    throw new CliError(`cannot use SNS topic ${topicArn}: ${failure.name}: ${failure.message}`);
  }
  return sns;
}
