import { startLocalAws as startEmulator, type LocalAws } from '../../local/aws/local-aws';

export { receiveNotifications, type LocalAws, type ReceivedNotification } from '../../local/aws/local-aws';

export const REGION = 'eu-west-1';

/** S3, SNS and SQS on fauxqs for the Lambdas' tests, with the names their assertions use. */
export function startLocalAws(): Promise<LocalAws> {
  return startEmulator({ region: REGION, bucket: 'evidence-bucket', topic: 'incidents' });
}
