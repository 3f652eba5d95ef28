import * as z from 'zod';

/**
 * The storm brake: a budget of remediations per cluster and per namespace over a rolling window,
 * shared by every execution. The ledger is one JSON document, written only by compare-and-swap
 * (remediation-budget-store.ts), so the cluster and the namespace count are decided together
 * and two executions can never both take the last slot.
 *
 * Beyond the budget the workflow is in storm mode: every incident is still diagnosed and its
 * evidence kept, no action is taken, and the refused incidents are gathered into storm batches.
 * The first incident refused while no batch is pending opens one; after a short gathering wait it
 * takes the batch and sends one storm notification listing every incident in it.
 */

export const remediationBudgetSchema = z
  .object({
    /** Remediations the whole cluster may start within the window. */
    cluster: z.number().int().min(1).max(10000),
    /** Remediations one namespace may start within the window. */
    namespace: z.number().int().min(1).max(10000),
    /** The rolling window, in seconds. */
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86400),
  })
  .strict();

export type RemediationBudget = z.infer<typeof remediationBudgetSchema>;

/**
 * Ten workloads an hour cluster-wide, five per namespace: more than a bad night usually needs,
 * far fewer than "half the cluster" when a shared dependency (DNS, the database, a node pool)
 * takes everything down at once and restarts would only add load.
 */
export const DEFAULT_REMEDIATION_BUDGET: RemediationBudget = {
  cluster: 10,
  namespace: 5,
  windowSeconds: 3600,
};

/** A remediation the budget granted: one per execution (a restart and its rollback count once). */
export interface BudgetGrant {
  at: string;
  namespace: string;
  incidentId: string;
  execution: string;
}

/** An incident the budget refused, waiting to be listed in a storm notification. */
export interface StormEntry {
  at: string;
  incidentId: string;
  /** `Deployment team/web` */
  target: string;
  namespace: string;
  execution: string;
  /** The incident's evidence prefix, for the storm notification's list. */
  evidencePrefix: string;
  /** Which budget refused it. */
  scope: 'cluster' | 'namespace';
  /** Whether this incident opened the batch, so it gathers and notifies. */
  opener: boolean;
}

export interface BudgetLedger {
  grants: BudgetGrant[];
  /** Refused incidents not yet listed in a storm notification, oldest first. */
  pending: StormEntry[];
  /** The last storm batches taken (by their opener), so a retried notification lists the same batch. */
  batches: Array<{ execution: string; takenAt: string; entries: StormEntry[] }>;
}

const ledgerSchema = z.object({
  grants: z
    .array(z.looseObject({ at: z.string(), namespace: z.string(), execution: z.string() }))
    .default([]),
  pending: z.array(z.looseObject({ at: z.string(), execution: z.string() })).default([]),
  batches: z.array(z.looseObject({ execution: z.string() })).default([]),
});

/**
 * The ledger as stored, or an empty one. A document someone damaged by hand must not stop the
 * brake from working, so it starts over (the worst case is one window's worth of extra budget).
 */
export function parseLedger(text: string | undefined): BudgetLedger {
  if (!text) return { grants: [], pending: [], batches: [] };
  try {
    return ledgerSchema.parse(JSON.parse(text)) as unknown as BudgetLedger;
  } catch {
    return { grants: [], pending: [], batches: [] };
  }
}

export interface BudgetRequest {
  execution: string;
  incidentId: string;
  namespace: string;
  target: string;
  evidencePrefix: string;
  /**
   * A pending batch whose opener is older than this is taken over by the next refused incident:
   * its opener ended before it could notify, and the batch must not go unheard.
   */
  staleAfterSeconds: number;
}

export type BudgetDecision =
  | { granted: true; cluster: number; namespace: number }
  | {
      granted: false;
      scope: 'cluster' | 'namespace';
      /** Remediations within the window, this namespace's and the cluster's. */
      cluster: number;
      namespace: number;
      opener: boolean;
    };

/** How many batches the ledger remembers (only retries of the latest ones ever ask). */
const BATCHES_KEPT = 20;

/**
 * Takes a slot for the request, or records it as a storm incident. Idempotent per execution: a
 * retried Guard gets the answer its first attempt got. Pure: the store makes it atomic.
 */
export function reserve(
  ledger: BudgetLedger,
  request: BudgetRequest,
  now: Date,
  budget: RemediationBudget,
): { ledger: BudgetLedger; decision: BudgetDecision } {
  const since = now.getTime() - budget.windowSeconds * 1000;
  const grants = ledger.grants.filter((g) => Date.parse(g.at) > since);
  const inNamespace = (g: BudgetGrant) => g.namespace === request.namespace;
  const counts = () => ({ cluster: grants.length, namespace: grants.filter(inNamespace).length });
  if (grants.some((g) => g.execution === request.execution)) {
    return { ledger: { ...ledger, grants }, decision: { granted: true, ...counts() } };
  }
  const earlier = ledger.pending.find((p) => p.execution === request.execution);
  if (earlier) {
    return {
      ledger: { ...ledger, grants },
      decision: { granted: false, scope: earlier.scope, opener: earlier.opener, ...counts() },
    };
  }
  const used = counts();
  const scope =
    used.cluster >= budget.cluster ? 'cluster' : used.namespace >= budget.namespace ? 'namespace' : undefined;
  if (!scope) {
    const grant = {
      at: now.toISOString(),
      namespace: request.namespace,
      incidentId: request.incidentId,
      execution: request.execution,
    };
    const next = [...grants, grant];
    return {
      ledger: { ...ledger, grants: next },
      decision: {
        granted: true,
        cluster: next.length,
        namespace: next.filter(inNamespace).length,
      },
    };
  }
  const opener = openerOf(ledger.pending);
  const stale =
    opener !== undefined && now.getTime() - Date.parse(opener.at) > request.staleAfterSeconds * 1000;
  const entry: StormEntry = {
    at: now.toISOString(),
    incidentId: request.incidentId,
    target: request.target,
    namespace: request.namespace,
    execution: request.execution,
    evidencePrefix: request.evidencePrefix,
    scope,
    opener: opener === undefined || stale,
  };
  // A stale opener's batch passes to the newcomer: it is no longer the opener.
  const pending = stale ? ledger.pending.map((p) => ({ ...p, opener: false })) : ledger.pending;
  return {
    ledger: { ...ledger, grants, pending: [...pending, entry] },
    decision: { granted: false, scope, opener: entry.opener, ...used },
  };
}

function openerOf(pending: StormEntry[]): StormEntry | undefined {
  return pending.find((p) => p.opener);
}

/**
 * The opener takes the pending batch (every refused incident since it opened) to notify about.
 * Idempotent: a retried take returns the batch the first take returned. Another incident refused
 * after this opens the next batch.
 */
export function takeStormBatch(
  ledger: BudgetLedger,
  execution: string,
  now: Date,
): { ledger: BudgetLedger; entries: StormEntry[] } {
  const taken = ledger.batches.find((b) => b.execution === execution);
  if (taken) return { ledger, entries: taken.entries };
  if (openerOf(ledger.pending)?.execution !== execution) return { ledger, entries: [] };
  const batch = { execution, takenAt: now.toISOString(), entries: ledger.pending };
  return {
    ledger: { ...ledger, pending: [], batches: [...ledger.batches, batch].slice(-BATCHES_KEPT) },
    entries: batch.entries,
  };
}
