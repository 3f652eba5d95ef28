import * as z from 'zod';
import { ERROR_CLASSES, TECHNOLOGIES } from '../diagnosis/classifier';

/**
 * The schema of a diagnosis rule, shared by the built-in rules (builtin-rules.ts, one per
 * runbook row) and the rules users write in a YAML or JSON file. A rule holds when ALL its
 * matchers (`when`) find evidence; its cause and fix are templates filled with the incident's
 * own names. docs/rules.schema.json is generated from this (lib/rules-schema.ts) and
 * docs/rules.md explains it.
 */

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as Array<z.output<T>>);

/** A JavaScript regular expression source, matched case-insensitively. */
const regex = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, 'i');
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `not a valid regular expression: ${(error as Error).message}`,
      });
    }
  })
  .describe('A regular expression (JavaScript syntax), matched case-insensitively.');

export const DEPENDENCY_STATES = ['down', 'up', 'not-found', 'port-mismatch'] as const;
export const REFERENCE_KINDS = ['ConfigMap', 'Secret', 'PersistentVolumeClaim'] as const;
export const REFERENCE_STATES = ['missing', 'missing-key', 'Pending', 'Lost'] as const;
export const REMEDIATIONS = ['restart', 'rollback', 'wait-for-dependency', 'none'] as const;

const logMatcher = z
  .object({
    class: oneOrMany(z.enum(ERROR_CLASSES))
      .optional()
      .describe('Failure classes of the line (lambdas/shared/diagnosis/classifier.ts).'),
    technology: oneOrMany(z.enum(TECHNOLOGIES))
      .optional()
      .describe('What the line is about: the client library, host or port it names.'),
    pattern: regex.optional().describe('A regular expression the line must match.'),
    decisive: z
      .boolean()
      .optional()
      .describe('Only the line that explains the exit (the last line of the highest rank) counts.'),
    init: z
      .boolean()
      .optional()
      .describe('Only logs of init containers (true) or of app containers (false).'),
  })
  .strict()
  .refine((m) => m.class || m.pattern, { message: 'a log matcher needs a class or a pattern' });

const terminationMatcher = z
  .object({
    reason: oneOrMany(z.string().min(1))
      .optional()
      .describe('Termination reason: OOMKilled, Error, Completed...'),
    exitCode: oneOrMany(z.number().int().min(0).max(255)).optional(),
    signal: oneOrMany(z.string().regex(/^SIG[A-Z0-9]+$/))
      .optional()
      .describe('SIGKILL, SIGTERM, SIGSEGV...'),
    init: z.boolean().optional().describe('Only init containers (true) or only app containers (false).'),
  })
  .strict();

const waitingMatcher = z
  .object({
    reason: oneOrMany(z.string().min(1)).describe('Waiting reason: CrashLoopBackOff, ImagePullBackOff...'),
    message: regex.optional(),
    init: z.boolean().optional(),
  })
  .strict();

const eventMatcher = z
  .object({
    reason: oneOrMany(z.string().min(1)).describe(
      'Event reason: FailedMount, Unhealthy, FailedScheduling...',
    ),
    message: regex.optional(),
    kind: oneOrMany(z.string().min(1)).optional().describe('Kind of the object the event is about.'),
    type: z.enum(['Normal', 'Warning']).optional(),
  })
  .strict();

const conditionMatcher = z
  .object({
    on: z.enum(['Pod', 'Node']).optional(),
    type: z.string().min(1),
    status: oneOrMany(z.enum(['True', 'False', 'Unknown'])),
    reason: oneOrMany(z.string().min(1)).optional(),
    message: regex.optional(),
  })
  .strict();

const dependencyMatcher = z
  .object({
    state: oneOrMany(z.enum(DEPENDENCY_STATES)).describe(
      'The state of a dependency a failing log line names.',
    ),
    technology: oneOrMany(z.enum(TECHNOLOGIES)).optional(),
  })
  .strict();

const revisionMatcher = z
  .object({
    currentFailing: z
      .boolean()
      .optional()
      .describe('The current revision has pods that are not ready or restart.'),
    previousHealthy: z
      .boolean()
      .optional()
      .describe('The revision before the current one served (ready pods, no restarts).'),
  })
  .strict();

const resourceMatcher = z
  .object({
    kind: oneOrMany(z.enum(REFERENCE_KINDS)).optional(),
    state: oneOrMany(z.enum(REFERENCE_STATES)),
    optional: z.boolean().optional().describe('Match optional references too (default: only required ones).'),
  })
  .strict();

const containerMatcher = z
  .object({
    running: z.boolean().optional(),
    ready: z.boolean().optional(),
    init: z.boolean().optional(),
    minRestarts: z.number().int().min(0).optional(),
    maxRestarts: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('At most this many restarts (0: a container that is not crash-looping).'),
  })
  .strict();

const serviceMatcher = z
  .object({
    state: z.enum(['no-endpoints', 'port-mismatch']).describe("A Service selecting the target's pods."),
  })
  .strict();

const jobMatcher = z
  .object({
    failedReason: oneOrMany(z.string().min(1))
      .optional()
      .describe('BackoffLimitExceeded, DeadlineExceeded...'),
  })
  .strict();

const workloadMatcher = z
  .object({
    state: oneOrMany(z.enum(['healthy', 'progressing'])).describe(
      'healthy: every pod ready, no container restarted or waiting; progressing: a rollout replaces older pods and the new ones start without a failure.',
    ),
  })
  .strict();

const baseMatchers = {
  log: logMatcher,
  termination: terminationMatcher,
  waiting: waitingMatcher,
  event: eventMatcher,
  condition: conditionMatcher,
  dependency: dependencyMatcher,
  revision: revisionMatcher,
  resource: resourceMatcher,
  container: containerMatcher,
  service: serviceMatcher,
  job: jobMatcher,
  workload: workloadMatcher,
} as const;

export type MatcherKey = keyof typeof baseMatchers | 'anyOf';

export type Matcher =
  | { log: z.output<typeof logMatcher> }
  | { termination: z.output<typeof terminationMatcher> }
  | { waiting: z.output<typeof waitingMatcher> }
  | { event: z.output<typeof eventMatcher> }
  | { condition: z.output<typeof conditionMatcher> }
  | { dependency: z.output<typeof dependencyMatcher> }
  | { revision: z.output<typeof revisionMatcher> }
  | { resource: z.output<typeof resourceMatcher> }
  | { container: z.output<typeof containerMatcher> }
  | { service: z.output<typeof serviceMatcher> }
  | { job: z.output<typeof jobMatcher> }
  | { workload: z.output<typeof workloadMatcher> }
  | { anyOf: Matcher[] };

const singleMatchers = Object.entries(baseMatchers).map(([key, schema]) =>
  z.object({ [key]: schema }).strict(),
);

export const matcherSchema: z.ZodType<Matcher> = z.lazy(() =>
  z.union([
    ...(singleMatchers as unknown as [z.ZodType<Matcher>, z.ZodType<Matcher>]),
    z
      .object({ anyOf: z.array(matcherSchema).min(1) })
      .strict()
      .describe('Holds when any of its matchers holds.'),
  ]),
);

/** The placeholders a cause or fix may use; each is filled from the incident and the evidence. */
export const PLACEHOLDERS = [
  'namespace',
  'workload',
  'kind',
  'pod',
  'container',
  'service',
  'serviceNamespace',
  'host',
  'port',
  'key',
  'resource',
  'resourceKind',
  'exitCode',
  'signal',
  'exitMeaning',
  'reason',
  'class',
  'line',
  'revision',
  'previousRevision',
  'dependencyDiagnosis',
  'node',
  'cronJob',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** `{service}`, or `{serviceNamespace|namespace}`: the first of the names that has a value. */
export const PLACEHOLDER_PATTERN = /\{([A-Za-z]+(?:\|[A-Za-z]+)*)\}/g;
/** `[[...]]`: text left out when a placeholder in it has no value. */
export const OPTIONAL_CLAUSE = /\[\[(.*?)\]\]/g;

const template = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    for (const m of text.matchAll(PLACEHOLDER_PATTERN)) {
      for (const name of m[1].split('|')) {
        if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown placeholder {${name}}; known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
          });
        }
      }
    }
  })
  .describe(
    'Text with placeholders: `{service}`, or `{serviceNamespace|namespace}` for the first of them that has a value; `[[...]]` is left out when a placeholder in it has no value.',
  );

/** Where a rule is rehearsed: a sandbox scenario, or an incident's stored evidence. */
export const ruleExampleSchema = z
  .object({
    scenario: z
      .string()
      .min(1)
      .optional()
      .describe('A sandbox scenario (`eks-incident demo --scenario NAME`), diagnosed afresh.'),
    evidence: z
      .string()
      .min(1)
      .optional()
      .describe(
        "An incident's evidence prefix (incidents/YYYY/MM/DD/<id>/): its diagnostics.json is replayed.",
      ),
  })
  .strict()
  .refine((e) => Boolean(e.scenario) !== Boolean(e.evidence), {
    message: 'an example names either a scenario or an evidence prefix',
  });
export type RuleExample = z.output<typeof ruleExampleSchema>;

export const ruleSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes')
      .describe('Unique id; a user rule with the id of a built-in rule replaces it.'),
    description: z.string().optional(),
    when: z.array(matcherSchema).min(1).describe('Matchers that must ALL hold.'),
    cause: template.describe('The cause, in words; placeholders like {service} are filled in.'),
    fix: template.describe("The fix, written with the incident's own names through placeholders."),
    remediation: z
      .enum(REMEDIATIONS)
      .describe(
        'What the cause calls for: restart, rollback, wait-for-dependency (then restart), or none (escalate with the fix).',
      ),
    confidence: z
      .number()
      .min(0)
      .max(1)
      .describe('0..1: how sure the rule is when it holds. Below 0.5 the flow does not act.'),
    raise: z
      .array(
        z
          .object({
            when: z.array(matcherSchema).min(1).describe('Further evidence; all must hold.'),
            confidence: z.number().min(0).max(1),
          })
          .strict(),
      )
      .optional()
      .describe(
        'Evidence that corroborates the rule and raises its confidence (readiness probe failures behind a Service without endpoints); the highest that holds counts.',
      ),
    reason: template
      .optional()
      .describe(
        'Why the remediation fits, for the report and notifications (default: said by the remediation).',
      ),
    rollbackOnBadRelease: z
      .boolean()
      .default(true)
      .describe('When the current revision fails and the previous one was healthy, roll back instead.'),
    runbook: z
      .object({ file: z.string().min(1), section: z.string().min(1) })
      .strict()
      .optional()
      .describe('Where the rule comes from.'),
    disabled: z.boolean().optional().describe('Turns the rule (e.g. a built-in one) off.'),
    examples: z
      .array(ruleExampleSchema)
      .optional()
      .describe(
        'Evidence this rule must explain: `eks-incident rules test` fails when it is not the top hypothesis there.',
      ),
  })
  .strict();

export type Rule = z.output<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;

export const rulesFileSchema = z
  .object({
    $schema: z.string().optional(),
    rules: z
      .array(ruleSchema)
      .describe('Rules added to the built-in ones; one with a built-in id replaces it.'),
  })
  .strict();
export type RulesFile = z.output<typeof rulesFileSchema>;
