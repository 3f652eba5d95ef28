import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import { HttpMethod, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SLACK_INTERACTIONS_PATH } from '../../lambdas/approval/approval-routes';
import { approvalEnv } from '../../lambdas/shared/env';
import type { EvidenceBucket } from './evidence-bucket';
import { IncidentFunction } from './function-defaults';

/** The signed link's route; lambdas/approval/approval-routes.ts checks the action is restart or rollback. */
export const APPROVAL_ROUTE_PATH = '/approvals/{incident}/{action}';

/**
 * The secret that signs approval links: generated, readable by the function that signs (notify)
 * and the one that verifies (the approval routes), granted by the stack to exactly those two.
 */
export function approvalLinkSecret(scope: Construct, id: string): Secret {
  const secret = new Secret(scope, id, {
    description: 'Signs the approval links of the EKS incident-response workflow (HMAC-SHA256)',
    generateSecretString: { passwordLength: 64, excludePunctuation: true },
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Only the notify and approval functions read it, and a new value would void the links of requests still ' +
      'waiting; it is rotated by putting a new value between incidents (the functions reread it at cold start).',
  });
  return secret;
}

export interface ApprovalRoutesProps {
  /** The HTTP API the routes are added to (the Alertmanager webhook's). */
  readonly api: HttpApi;
  /** The IncidentResponse state machine whose Request Approval tasks the answers complete. */
  readonly stateMachine: StateMachine;
  /** Where the approval requests are (`approvals/<incident>/<action>.json`). */
  readonly evidence: EvidenceBucket;
  /** The secret that signs approval links (approvalLinkSecret). */
  readonly linkSecret: ISecret;
  /**
   * Name of the Secrets Manager secret with the Slack app's signing secret.
   * @default - no Slack interactivity: `POST /slack/interactions` answers 404
   */
  readonly slackSigningSecretName?: string;
}

/**
 * The approval routes on the HTTP API, served by one function running the same route logic as
 * `eks-incident serve` (lambdas/approval): `GET /approvals/{incident}/{action}` shows the confirm
 * page, `POST` of it answers once, `POST /slack/interactions` takes Slack's buttons after checking
 * Slack's signature. The function may read and conditionally write the approval requests, read
 * the two secrets, and send SendTaskSuccess to this one state machine's tasks; nothing else.
 */
export class ApprovalRoutes extends Construct {
  readonly handler: IncidentFunction<typeof approvalEnv>;
  readonly slackSigningSecret?: ISecret;
  /** `https://<api>.execute-api.<region>.amazonaws.com/slack/interactions`: Slack's Request URL. */
  readonly slackInteractionsUrl: string;

  constructor(scope: Construct, id: string, props: ApprovalRoutesProps) {
    super(scope, id);
    this.slackSigningSecret = props.slackSigningSecretName
      ? Secret.fromSecretNameV2(this, 'SlackSigningSecret', props.slackSigningSecretName)
      : undefined;
    this.handler = new IncidentFunction(this, 'Approval', {
      step: 'approval',
      envSchema: approvalEnv,
      environment: {
        EVIDENCE_BUCKET: props.evidence.bucket.bucketName,
        APPROVAL_LINK_SECRET_ARN: props.linkSecret.secretArn,
        SLACK_SIGNING_SECRET_ARN: this.slackSigningSecret?.secretArn,
      },
      description: 'Approval routes: signed links and Slack buttons answer the waiting Request Approval task',
      // Slack drops an interactivity answer after 3 s; a stuck dependency must not hold it longer.
      timeout: Duration.seconds(5),
      memorySize: 512,
    });
    const role = this.handler.role;
    props.evidence.grantApprovals(role);
    props.linkSecret.grantRead(role);
    this.slackSigningSecret?.grantRead(role);
    // A rejection is an answer as well (lambdas/approval/task-answer.ts): SendTaskSuccess only.
    props.stateMachine.grant(role, 'states:SendTaskSuccess');

    const integration = new HttpLambdaIntegration('Approval', this.handler.function);
    const routes = [
      ...props.api.addRoutes({
        path: APPROVAL_ROUTE_PATH,
        methods: [HttpMethod.GET, HttpMethod.POST],
        integration,
      }),
      ...props.api.addRoutes({ path: SLACK_INTERACTIONS_PATH, methods: [HttpMethod.POST], integration }),
    ];
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Each request proves itself: a link carries an HMAC-SHA256 of its request, decision and expiry under the ' +
          "stack's link secret, and Slack signs every interactivity request with the app's signing secret; the " +
          'function checks the signature first and answers 401 without touching anything.',
      });
    }
    this.slackInteractionsUrl = `${props.api.apiEndpoint}${SLACK_INTERACTIONS_PATH}`;

    new CfnOutput(this, 'SlackInteractivityUrl', {
      description: "The Slack app's Interactivity Request URL (docs/approvals.md)",
      value: this.slackInteractionsUrl,
    }).overrideLogicalId('SlackInteractivityUrl');
  }
}
