import type { ReportResult, WorkflowState } from './contracts';

/**
 * How an execution ended, from its state: a healthy verification means the workload
 * recovered (even if a later notification failed and a human was paged as well); a workload
 * found healthy right before a write was left alone; a dry run
 * that hit no error changed nothing by design; everything else needed a human.
 */
export function outcomeOf(state: WorkflowState): ReportResult['outcome'] {
  const verification = state.verification;
  if (verification?.outcome === 'healthy') {
    return verification.phase === 'rollback' ? 'recovered-by-rollback' : 'recovered-by-restart';
  }
  // Found healthy before a rollback that a restart made unnecessary: the restart recovered it.
  if (state.health?.healthy && !state.error)
    return state.restart ? 'recovered-by-restart' : 'healthy-no-action';
  if (state.incident.options.dryRun && !state.error) return 'dry-run';
  if (state.guard?.reason === 'storm' && !state.error) return 'storm-no-action';
  return 'escalated';
}
