import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Diagnostics, ReportResult, WorkflowState } from '../contracts';
import { ACTIONS, DIMENSION, METRIC, METRICS_NAMESPACE, NO_RULE, serviceName } from './metric-names';

/** One metric value and the dimension sets it is published under (Powertools adds `service` to each). */
export interface MetricRecord {
  name: string;
  unit: 'Count' | 'Seconds';
  value: number;
  dimensionSets: Array<Record<string, string>>;
}

export type Action = (typeof ACTIONS)[number];

/** The remediations the flow sent to the cluster: a restart, a rollback that changed the template, or none. */
export function actionsTaken(state: Pick<WorkflowState, 'restart' | 'rollback'>): Action[] {
  const actions: Action[] = [];
  if (state.restart) actions.push('restart');
  if (state.rollback && !state.rollback.skipped) actions.push('rollback');
  return actions.length ? actions : ['none'];
}

/**
 * What a finished incident adds to the metrics (the Report step, which every execution past
 * Open Incident reaches): the incident by source and outcome, the actions taken, and for a
 * recovery how long it took from the incident's opening.
 */
export function outcomeMetrics(state: WorkflowState, result: ReportResult, now: Date): MetricRecord[] {
  const outcome = result.outcome;
  const records: MetricRecord[] = [
    {
      name: METRIC.incidents,
      unit: 'Count',
      value: 1,
      dimensionSets: [
        { [DIMENSION.outcome]: outcome },
        { [DIMENSION.source]: state.incident.source, [DIMENSION.outcome]: outcome },
      ],
    },
    ...actionsTaken(state).map((action): MetricRecord => ({
      name: METRIC.remediationActions,
      unit: 'Count',
      value: 1,
      dimensionSets: [{ [DIMENSION.action]: action }],
    })),
  ];
  const openedAt = Date.parse(state.incident.openedAt);
  if (outcome.startsWith('recovered-') && Number.isFinite(openedAt)) {
    records.push({
      name: METRIC.timeToRecover,
      unit: 'Seconds',
      value: Math.max(0, (now.getTime() - openedAt) / 1000),
      dimensionSets: [{}, { [DIMENSION.outcome]: outcome }],
    });
  }
  return records;
}

/** What a diagnosis adds: a hit for every rule behind a hypothesis, and the rule that ranked first. */
export function diagnosisMetrics(diagnostics: Pick<Diagnostics, 'hypotheses'>): MetricRecord[] {
  const hypotheses = diagnostics.hypotheses ?? [];
  const rules = [...new Set(hypotheses.map((h) => h.ruleId))];
  return [
    ...rules.map((rule): MetricRecord => ({
      name: METRIC.diagnosisRuleHits,
      unit: 'Count',
      value: 1,
      dimensionSets: [{ [DIMENSION.rule]: rule }],
    })),
    {
      name: METRIC.topCause,
      unit: 'Count',
      value: 1,
      dimensionSets: [{ [DIMENSION.rule]: hypotheses[0]?.ruleId ?? NO_RULE }],
    },
  ];
}

/** One per function instance, made on first use: only the steps that record metrics load it. */
let functionMetrics: Metrics | undefined;

/** Where a handler built from an explicit environment (handler-environment.ts) publishes. */
export interface MetricsDestination {
  /** @default - POWERTOOLS_METRICS_NAMESPACE of process.env, else METRICS_NAMESPACE */
  namespace?: string;
  /** @default - POWERTOOLS_SERVICE_NAME of process.env, else the default service name */
  serviceName?: string;
  /** Each EMF document as one line. @default - stdout */
  write?: (line: string) => void;
}

/**
 * Publishes each record to stdout as EMF documents (CloudWatch Logs turns them into metrics),
 * one per dimension set: a document's dimension sets apply to every metric in it, and sets
 * that share a dimension (Outcome alone, Source and Outcome) may not meet in one document.
 * Namespace from POWERTOOLS_METRICS_NAMESPACE (the stack sets it).
 */
export function publish(records: MetricRecord[], destination: MetricsDestination = {}): void {
  if (destination.write) {
    publishTo(records, destination, destination.write);
    return;
  }
  functionMetrics ??= new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
    serviceName: serviceName(),
  });
  for (const record of records) {
    for (const set of record.dimensionSets) {
      const single = functionMetrics.singleMetric();
      if (Object.keys(set).length) single.addDimensions(set);
      single.addMetric(record.name, record.unit, record.value);
    }
  }
}

/** The same EMF documents, serialized by Powertools, handed to `write` instead of stdout. */
function publishTo(
  records: MetricRecord[],
  destination: MetricsDestination,
  write: (line: string) => void,
): void {
  const metrics = new Metrics({
    namespace: destination.namespace || METRICS_NAMESPACE,
    serviceName: destination.serviceName || serviceName(),
  });
  for (const record of records) {
    for (const set of record.dimensionSets) {
      if (Object.keys(set).length) metrics.addDimensions(set);
      metrics.addMetric(record.name, record.unit, record.value);
      write(JSON.stringify(metrics.serializeMetrics()));
      metrics.clearMetrics();
      metrics.clearDimensions();
    }
  }
}
