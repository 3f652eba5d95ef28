import { Duration } from 'aws-cdk-lib';
import { EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The execution statuses that page: the workflow ended without finishing cleanly. */
export const FALLBACK_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export interface FallbackAlarmProps {
  /** The state machines whose failed, timed-out and aborted executions page. */
  readonly stateMachines: IStateMachine[];
  /**
   * An existing SNS topic to page, apart from the workflow's own (an on-call topic of another
   * stack or account; its policy must let events.amazonaws.com publish).
   * @default - a topic of its own (output FallbackAlarmTopicArn)
   */
  readonly topicArn?: string;
  /**
   * An e-mail address subscribed to the topic of its own (ignored with `topicArn`).
   * @default - none: subscribe to FallbackAlarmTopicArn yourself
   */
  readonly email?: string;
}

/**
 * The path that pages when the workflow cannot: an EventBridge rule on the executions of the
 * state machines that end FAILED, TIMED_OUT or ABORTED, to a topic that is not the workflow's.
 * It needs nothing of what the workflow needs (its functions, its topic, its key, S3, the
 * cluster), so an execution that could not notify anyone (SNS refused, the topic's key disabled,
 * an operator's StopExecution, a Lambda that never returned) still reaches a human. Escalations
 * end FAILED (IncidentEscalated) too, and so page here as well: a second, independent page of
 * an incident that needs a human, never a lost one.
 */
export class FallbackAlarm extends Construct {
  readonly rule: Rule;
  readonly topic: ITopic;

  constructor(scope: Construct, id: string, props: FallbackAlarmProps) {
    super(scope, id);
    this.topic = props.topicArn ? Topic.fromTopicArn(this, 'Topic', props.topicArn) : this.ownTopic(props);
    this.rule = new Rule(this, 'Rule', {
      description:
        'Pages when an incident-response or backup-verification execution fails, times out or is aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: FALLBACK_STATUSES,
          stateMachineArn: props.stateMachines.map((sm) => sm.stateMachineArn),
        },
      },
    });
    this.rule.addTarget(
      new SnsTopic(this.topic, {
        message: RuleTargetInput.fromText(
          `EKS incident workflow execution ${EventField.fromPath('$.detail.name')} ended ` +
            `${EventField.fromPath('$.detail.status')} (state machine ${EventField.fromPath('$.detail.stateMachineArn')}). ` +
            'An escalation (IncidentEscalated) was also sent to the incident topic; anything else means the ' +
            `workflow may not have told anyone. Execution: ${EventField.fromPath('$.detail.executionArn')}`,
        ),
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    );
  }

  private ownTopic(props: FallbackAlarmProps): Topic {
    const key = new Key(this, 'TopicKey', {
      description: 'Encrypts the incident-response fallback alarm topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
    });
    // EventBridge publishes to the encrypted topic with a data key of this key.
    key.grant(new ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new Topic(this, 'Topic', {
      displayName: 'EKS incident response: workflow failures',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email) topic.addSubscription(new EmailSubscription(props.email));
    return topic;
  }
}
