import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { z } from 'zod';
import type { StackConfig } from './config';
import type { IncidentStep } from './incident-steps';
import type { ApprovalRoutes } from './constructs/approval-routes';
import type { BackupVerification } from './constructs/backup-verification';
import type { ClusterAccess } from './constructs/cluster-access';
import type { EvidenceBucket } from './constructs/evidence-bucket';
import type { FallbackAlarm } from './constructs/fallback-alarm';
import type { IncidentFunction } from './constructs/function-defaults';
import { IncidentResponse } from './constructs/incident-response';
import type { IncidentWorkflow } from './constructs/incident-workflow';
import type { Notifications } from './constructs/notifications';
import type { Webhook } from './constructs/webhook';

export interface IncidentResponseStackProps extends StackProps {
  /** The validated configuration (lib/config.ts). */
  readonly config: StackConfig;
}

export { INCIDENT_STEPS, type IncidentStep } from './incident-steps';

/**
 * The stack that deploys one IncidentResponse (lib/constructs/incident-response.ts). Its parts
 * are the construct's, repeated here so that code and tests keep reading them off the stack.
 */
export class IncidentResponseStack extends Stack {
  /**
   * Everything the stack deploys. Its id is 'Default', which CDK leaves out of logical ids, so
   * every resource keeps the logical id it had before the construct existed: a deployed stack
   * updates in place instead of replacing its functions and roles.
   */
  readonly incidentResponse: IncidentResponse;
  readonly functions: Record<IncidentStep, IncidentFunction<z.ZodObject>>;
  readonly workflow: IncidentWorkflow;
  readonly evidence: EvidenceBucket;
  readonly notifications: Notifications;
  readonly clusterAccess: ClusterAccess;
  /** The Alertmanager webhook (API Gateway HTTP API → intake λ → StartExecution). */
  readonly webhook: Webhook;
  /** The approval routes on the webhook's HTTP API (signed links, Slack's buttons). */
  readonly approvals: ApprovalRoutes;
  /** The scheduled backup verification, when `backupSources` is configured. */
  readonly backupVerification?: BackupVerification;
  /** Pages apart from the workflow when one of its executions fails, times out or is aborted. */
  readonly fallbackAlarm: FallbackAlarm;
  /** The CloudWatch dashboard of the incidents (lib/constructs/incident-dashboard.ts). */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: IncidentResponseStackProps) {
    super(scope, id, props);
    const incident = new IncidentResponse(this, 'Default', { config: props.config });
    this.incidentResponse = incident;
    this.functions = incident.functions;
    this.workflow = incident.workflow;
    this.evidence = incident.evidence;
    this.notifications = incident.notifications;
    this.clusterAccess = incident.clusterAccess;
    this.webhook = incident.webhook;
    this.approvals = incident.approvals;
    this.backupVerification = incident.backupVerification;
    this.fallbackAlarm = incident.fallbackAlarm;
    this.dashboard = incident.dashboard;
  }
}
