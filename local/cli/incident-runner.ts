import type { ExecutionInput } from '../../lambdas/shared/contracts';
import type { SynthesizedDefinitions } from '../../lib/synth';
import { receiveNotifications, type LocalAws } from '../aws/local-aws';
import type { LocalStepEnvironment } from '../engine/local-steps';
import { runIncident, type IncidentRun } from '../engine/run-incident';
import { summarize, type EvidenceLocator, type IncidentSummary } from './incident-summary';
import type { LiveView } from './live-view';

export interface WatchedRunOptions {
  synthesized: SynthesizedDefinitions;
  environment: LocalStepEnvironment;
  timeScale: number;
  view: LiveView;
  locator: EvidenceLocator;
  /** The live view's row. */
  label: string;
  /** A validated execution input, as the console or the webhook intake starts it. */
  input: ExecutionInput;
  /** @default local-<uuid> */
  executionName?: string;
  /** `$$.Execution.StartTime`. @default when it runs */
  startTime?: Date;
}

/**
 * Runs one execution of the synthesized definition, feeding the live view its events, and
 * summarizes it. Timed from its first event, as the live view times it.
 */
export async function watchedRun(
  options: WatchedRunOptions,
): Promise<{ run: IncidentRun; summary: IncidentSummary }> {
  const { environment, view, label, input } = options;
  let startedAt: number | undefined;
  let wallStart = Date.now();
  const run = await runIncident({
    synthesized: options.synthesized,
    input,
    environment,
    timeScale: options.timeScale,
    executionName: options.executionName,
    startTime: options.startTime,
    onEvent: (event) => {
      if (startedAt === undefined) {
        startedAt = environment.now().getTime();
        wallStart = Date.now();
      }
      view.onEvent(label, event);
    },
  });
  const endedAt = environment.now().getTime();
  const timing = { startedAt: startedAt ?? endedAt, endedAt, wallMs: Date.now() - wallStart };
  const summary = summarize(label, input, run, timing, options.locator);
  view.finish(label, summary);
  return { run, summary };
}

/** A notification as the local topic's subscriber received it. */
export interface DeliveredNotification {
  subject: string;
  stage?: string;
  incidentId?: string;
}

/** What the executions published to the local topic (read through its subscribed queue). */
export async function localNotifications(aws: LocalAws): Promise<DeliveredNotification[]> {
  return (await receiveNotifications(aws)).map((n) => ({
    subject: n.Subject ?? '(no subject)',
    ...(n.MessageAttributes?.stage ? { stage: n.MessageAttributes.stage.Value } : {}),
    ...(n.MessageAttributes?.incidentId ? { incidentId: n.MessageAttributes.incidentId.Value } : {}),
  }));
}
