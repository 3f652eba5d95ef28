import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  GraphWidgetView,
  MathExpression,
  Metric,
  TextWidget,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DIMENSION, METRIC, METRICS_NAMESPACE } from '../../lambdas/shared/observability/metric-names';

export interface IncidentDashboardProps {
  /** The IncidentResponse state machine, for the executions Step Functions counts itself. */
  readonly stateMachine: IStateMachine;
  /** The `service` dimension the functions publish under: POWERTOOLS_SERVICE_NAME, the stack's name. */
  readonly serviceName: string;
  /**
   * The dashboard's name.
   * @default - the service name
   */
  readonly dashboardName?: string;
}

const DAY = Duration.days(1);

/**
 * Every series of `metric` by `dimension` for one service (one series per value: each
 * outcome, action or rule). A search rather than a fixed list: rule ids come from the user's
 * rules file too.
 */
function search(service: string, metric: string, dimension: string, period: Duration): IMetric {
  const schema = [METRICS_NAMESPACE, 'service', dimension].join(',');
  return new MathExpression({
    expression: `SEARCH('{${schema}} MetricName="${metric}" service="${service}"', 'Sum', ${period.toSeconds()})`,
    usingMetrics: {},
    // A dynamic label: each series is named by its value (the outcome, the action, the rule).
    label: `\${PROP('Dim.${dimension}')}`,
    period,
  });
}

/**
 * The week at a glance for an on-call lead: incidents by outcome, the executions Step
 * Functions ran (those that failed never reached Report), time to recover, the actions taken
 * and the top causes the diagnosis found. Reads the metrics of metric-names.ts.
 */
export class IncidentDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: IncidentDashboardProps) {
    super(scope, id);
    const service = props.serviceName;
    const timeToRecover = (statistic: string, label: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.timeToRecover,
        dimensionsMap: { service },
        statistic,
        period: DAY,
        label,
      });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? service,
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new TextWidget({
            markdown:
              `## Incident response: ${service}\n` +
              'Incidents and actions are counted when an execution writes its report; executions that ' +
              'failed before it are in *Executions*. Causes are the diagnosis rules (docs/rules.md).',
            width: 24,
            height: 2,
          }),
        ],
        [
          new GraphWidget({
            title: 'Incidents by outcome (per day)',
            left: [search(service, METRIC.incidents, DIMENSION.outcome, DAY)],
            stacked: true,
            view: GraphWidgetView.BAR,
            width: 12,
          }),
          new GraphWidget({
            title: 'Executions (Step Functions, per day)',
            left: [
              props.stateMachine.metricStarted({ period: DAY, label: 'started' }),
              props.stateMachine.metricSucceeded({ period: DAY, label: 'succeeded' }),
              props.stateMachine.metricFailed({ period: DAY, label: 'failed' }),
              props.stateMachine.metricTimedOut({ period: DAY, label: 'timed out' }),
              props.stateMachine.metricAborted({ period: DAY, label: 'aborted' }),
            ],
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: 'Time to recover, seconds from the incident opening (per day)',
            left: [
              timeToRecover('p50', 'median'),
              timeToRecover('p90', 'p90'),
              timeToRecover('Maximum', 'max'),
            ],
            width: 12,
          }),
          new GraphWidget({
            title: 'Actions taken (per day)',
            left: [search(service, METRIC.remediationActions, DIMENSION.action, DAY)],
            stacked: true,
            view: GraphWidgetView.BAR,
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: 'Top causes: the first-ranked diagnosis rule, over the range',
            left: [search(service, METRIC.topCause, DIMENSION.rule, DAY)],
            view: GraphWidgetView.BAR,
            setPeriodToTimeRange: true,
            width: 12,
          }),
          new GraphWidget({
            title: 'Diagnosis rule hits, over the range',
            left: [search(service, METRIC.diagnosisRuleHits, DIMENSION.rule, DAY)],
            view: GraphWidgetView.BAR,
            setPeriodToTimeRange: true,
            width: 12,
          }),
        ],
      ],
    });
  }
}
