import { Duration, Validations } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';

export interface NotificationsProps {
  /**
   * Name of an existing Secrets Manager secret holding the Slack incoming-webhook URL.
   * @default - no Slack: notifications go to the SNS topic only
   */
  readonly slackSecretName?: string;
}

/**
 * Where people hear about incidents: an SNS topic (subscribe e-mail, chat or paging to it)
 * and, when configured, a Slack webhook kept in Secrets Manager. The topic is encrypted with
 * its own customer-managed key (rotated yearly) and accepts only TLS requests. The Slack
 * secret is referenced by name, never created here: its value never passes through CDK.
 */
export class Notifications extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  readonly slackSecret?: ISecret;

  constructor(scope: Construct, id: string, props: NotificationsProps = {}) {
    super(scope, id);
    this.key = new Key(this, 'TopicKey', {
      description: 'Encrypts the incident-response notification topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
    });
    this.topic = new Topic(this, 'Topic', {
      displayName: 'EKS incident response',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.slackSecretName) {
      this.slackSecret = Secret.fromSecretNameV2(this, 'SlackSecret', props.slackSecretName);
    }
  }

  /** Publish to the topic (with the key it needs) and, if configured, read the Slack secret. */
  grantNotify(role: Role): void {
    this.topic.grantPublish(role);
    this.slackSecret?.grantRead(role);
    acknowledgeTopicKeyActions(role);
  }
}

/** cdk-nag flags the action wildcard CDK's topic.grantPublish uses for the topic's key. */
export function acknowledgeTopicKeyActions(scope: IConstruct): void {
  Validations.of(scope).acknowledge({
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason:
      'Publishing to a KMS-encrypted topic needs a data key: kms:GenerateDataKey* (as granted by ' +
      'topic.grantPublish) is limited to this topic key ARN.',
  });
}
