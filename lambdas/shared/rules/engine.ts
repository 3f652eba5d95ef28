import type { Hypothesis, Remediation, RemediationDecision } from '../contracts';
import {
  classifiedLines,
  decisiveLine,
  DEPENDENCY_CLASSES,
  hostsIn,
  impliedHosts,
  namesTechnology,
  type ClassifiedLine,
  type HostReference,
  type ImpliedHosts,
  type Technology,
} from '../diagnosis/classifier';
import type {
  ContainerEvidence,
  DependencyEvidence,
  DiagnosisEvidence,
  LogEvidence,
  RevisionEvidence,
} from '../diagnosis/evidence';
import { exitMeaning, signalName } from '../diagnosis/exit-codes';
import { redactText } from '../redact';
import {
  OPTIONAL_CLAUSE,
  PLACEHOLDER_PATTERN,
  type Matcher,
  type Placeholder,
  type Rule,
} from './rule-schema';

/**
 * Evaluates diagnosis rules against the evidence: every rule whose matchers all hold becomes
 * a hypothesis, scored by the rule's confidence and by how close its evidence is to the
 * failure (the line before the exit weighs more than lines the process survived). The best
 * hypothesis decides the remediation.
 */

/** Below this the diagnosis is unsure and the flow must not act. */
export const CONFIDENT = 0.5;
const EVIDENCE_MAX = 500;
const EVIDENCE_LINES = 6;
/**
 * A dependency taken from what the log said earlier (`connecting to redis://...`), or any
 * dependency when the line names none: likely, but an inference, so a rule that rests on it
 * weighs less than the same rule on a line that names the dependency itself.
 */
const INFERRED_DEPENDENCY = 0.8;

type Vars = Partial<Record<Placeholder, string>>;

interface Hit {
  text: string;
  vars: Vars;
  /** 0..1: how directly this evidence explains the failure. */
  weight: number;
  hosts?: HostReference[];
  /** How the hosts were found: named by the line itself (or its error block), or inferred from context. */
  hostsHow?: 'own' | ImpliedHosts['how'];
  dependency?: DependencyEvidence;
  /** A line of a previous container instance's log. */
  previous?: boolean;
  /** What the line is about (its own technology or that of the error above it). */
  technology?: string;
  /** The container the evidence is about, to add its decisive log line as support. */
  subject?: { pod: string; container: string };
}

function clip(text: string): string {
  const line = text.trim();
  return line.length <= EVIDENCE_MAX ? line : `${line.slice(0, EVIDENCE_MAX - 1)}…`;
}

const ci = (source: string) => new RegExp(source, 'i');
const inList = (list: string[] | undefined, value: string | undefined) =>
  !list || (value !== undefined && list.includes(value));

/** A container that is failing, or was: its logs are evidence; a healthy container's are noise. */
function failing(c: ContainerEvidence): boolean {
  if (c.init)
    return (
      !!c.waitingReason ||
      c.restartCount > 0 ||
      ((c.termination?.exitCode ?? 0) !== 0 && !c.running && !c.ready)
    );
  return !c.ready || c.restartCount > 0 || !!c.waitingReason;
}

interface LogView {
  log: LogEvidence;
  /** Not a log: the runtime's own words for a container (its termination or waiting message). */
  runtime?: boolean;
  lines: ClassifiedLine[];
  decisive?: ClassifiedLine;
  /** Hosts the lines about a dependency imply without naming them, by line index. */
  implied: Map<number, ImpliedHosts>;
}

function view(log: LogEvidence, runtime = false): LogView {
  const lines = classifiedLines(log);
  const raw = log.text.split('\n');
  const implied = new Map<number, ImpliedHosts>();
  for (const l of lines) {
    if (!DEPENDENCY_CLASSES.has(l.class)) continue;
    const found = impliedHosts(raw, l.index, l.hosts);
    if (found) implied.set(l.index, found);
  }
  return { log, ...(runtime ? { runtime } : {}), lines, decisive: decisiveLine(lines), implied };
}

/**
 * What the runtime said about a failing container: containerd's StartError (`exec: "/app": executable
 * file not found in $PATH`), a termination message the app wrote. Classified like a log line.
 */
function runtimeMessages(c: ContainerEvidence): LogEvidence | undefined {
  const text = [c.termination?.message, c.waitingMessage].filter((t): t is string => !!t?.trim()).join('\n');
  return text ? { pod: c.pod, container: c.container, previous: false, init: c.init, text } : undefined;
}

/** Per evaluation: logs classified once. */
class Context {
  readonly logs: LogView[];
  private readonly containers = new Map<string, ContainerEvidence>();

  constructor(readonly evidence: DiagnosisEvidence) {
    for (const c of evidence.containers) this.containers.set(`${c.pod}/${c.container}`, c);
    // A service that runs and is Ready but logs failures (a pool exhausted, 429s from upstream):
    // with no container failing, the logs of the running ones are the evidence there is.
    const anyFailing = evidence.containers.some(failing);
    this.logs = [
      ...evidence.logs
        .filter((log) => {
          const c = this.containers.get(`${log.pod}/${log.container}`);
          return !c || failing(c) || (!anyFailing && !c.init);
        })
        .map((log) => view(log)),
      ...evidence.containers
        .filter(failing)
        .map(runtimeMessages)
        .filter((log): log is LogEvidence => !!log)
        .map((log) => view(log, true)),
    ];
  }

  /** The dependency a line's hosts resolved to in the cluster, if any. */
  dependencyFor(hosts: HostReference[]): DependencyEvidence | undefined {
    return this.evidence.dependencies.find((d) => hosts.some((h) => sameHost(h, d)));
  }

  /** A pod some container of which is not ready, waits, or has restarted. */
  troubled(pod: string): boolean {
    const containerTrouble = this.evidence.containers.some(
      (c) => c.pod === pod && (!c.ready || c.restartCount > 0 || !!c.waitingReason),
    );
    // A pod that never got containers (not scheduled) shows only in its conditions.
    const notReady = this.evidence.conditions.some(
      (c) => c.on === 'Pod' && c.name === pod && c.type === 'Ready' && c.status !== 'True',
    );
    const unscheduled = this.evidence.conditions.some(
      (c) => c.on === 'Pod' && c.name === pod && c.type === 'PodScheduled' && c.status !== 'True',
    );
    return containerTrouble || notReady || unscheduled;
  }

  container(pod: string, container: string): ContainerEvidence | undefined {
    return this.containers.get(`${pod}/${container}`);
  }

  /** The decisive line of a container's logs, previous instance first. */
  decisiveFor(pod: string, container: string): { view: LogView; line: ClassifiedLine } | undefined {
    const views = this.logs
      .filter((v) => v.log.pod === pod && v.log.container === container && v.decisive)
      .sort((a, b) => Number(b.log.previous) - Number(a.log.previous));
    return views[0] ? { view: views[0], line: views[0].decisive! } : undefined;
  }

  revisions(): { current?: RevisionEvidence; previous?: RevisionEvidence } {
    const revs = this.evidence.revisions;
    const current = revs.find((r) => r.current) ?? revs[revs.length - 1];
    const previous = current
      ? revs.filter((r) => r.revision < current.revision).sort((a, b) => b.revision - a.revision)[0]
      : undefined;
    return { current, previous };
  }
}

function logText(log: LogEvidence, line: string, runtime = false): string {
  return `${log.pod}/${log.container}${log.init ? ' (init)' : ''}${log.previous ? ' (previous)' : ''}${runtime ? ' (runtime)' : ''}: ${clip(line)}`;
}

function hostVars(hosts: HostReference[]): Vars {
  const h = hosts[0];
  return h ? { host: h.host, ...(h.port ? { port: String(h.port) } : {}) } : {};
}

/** Lines of a stack trace or a wrapped error that still belong to the error above them. */
const TECHNOLOGY_REACH = 15;

/**
 * A line without a technology of its own (`Caused by: java.net.ConnectException: Connection
 * refused`) is about what the error it belongs to names a few lines up (`CommunicationsException`
 * of the MySQL driver).
 */
function nearbyTechnology(view: LogView, index: number): ClassifiedLine | undefined {
  const before = view.lines.filter(
    (l) => l.index < index && index - l.index <= TECHNOLOGY_REACH && l.technology,
  );
  return before[before.length - 1];
}

/** A line's own hosts, else those it implies (named just before it, or by the context). */
function hostsOfLine(
  view: LogView,
  index: number,
  c: ClassifiedLine | undefined,
  line: string,
): { hosts: HostReference[]; how?: Hit['hostsHow'] } {
  const own = c?.hosts ?? hostsIn(line);
  const implied = view.implied.get(index);
  if (!implied) return { hosts: own, ...(own.length ? { how: 'own' as const } : {}) };
  // The implied name first: it is what the cluster knows the dependency by.
  return { hosts: [...implied.hosts, ...own], how: implied.how };
}

function matchLog(m: Extract<Matcher, { log: unknown }>['log'], ctx: Context): Hit[] {
  const pattern = m.pattern ? ci(m.pattern) : undefined;
  const hits: Hit[] = [];
  for (const view of ctx.logs) {
    const candidates: Array<{ line: string; index: number; c?: ClassifiedLine }> = m.class
      ? view.lines.map((c) => ({ line: c.line, index: c.index, c }))
      : view.log.text.split('\n').map((line, index) => ({
          line: line.trim(),
          index,
          c: view.lines.find((l) => l.index === index),
        }));
    for (const { line, index, c } of candidates) {
      if (!line) continue;
      if (m.init !== undefined && !!view.log.init !== m.init) continue;
      if (m.class && (!c || !m.class.includes(c.class))) continue;
      const { hosts, how } = hostsOfLine(view, index, c, line);
      const about = c?.technology ? c : nearbyTechnology(view, index);
      if (m.technology) {
        if (!about?.technology || !m.technology.includes(about.technology)) continue;
        // The cluster knows what the dependency is: a client's "Redis" or a port 6379 only says the
        // protocol, and a Redis-compatible store (AiKv, KeyDB) is no Redis that "is not running".
        const resolved = ctx.dependencyFor(hosts);
        if (resolved && !namesTechnology(about.technology, ...dependencyNames(resolved))) continue;
      }
      if (pattern && !pattern.test(line)) continue;
      const decisive = view.decisive?.index === index;
      if (m.decisive && !decisive) continue;
      const container = ctx.container(view.log.pod, view.log.container);
      const exited = view.log.previous || !!container?.termination || !!container?.waitingReason;
      const weight = decisive
        ? exited
          ? 1
          : 0.95
        : c && view.decisive && c.rank < view.decisive.rank
          ? 0.6
          : 0.8;
      hits.push({
        text: logText(view.log, line, view.runtime),
        vars: {
          pod: view.log.pod,
          container: view.log.container,
          line: clip(line),
          ...(c ? { class: c.class } : {}),
          ...hostVars(hosts),
        },
        weight,
        hosts,
        ...(how ? { hostsHow: how } : {}),
        previous: view.log.previous,
        ...(about?.technology ? { technology: about.technology } : {}),
        subject: { pod: view.log.pod, container: view.log.container },
      });
    }
  }
  // Best first: the most decisive line, then a previous instance's (why the container died).
  return hits.sort((a, b) => b.weight - a.weight || Number(!!b.previous) - Number(!!a.previous));
}

function containerText(c: ContainerEvidence): string {
  return `${c.pod}/${c.container}${c.init ? ' (init)' : ''}`;
}

function terminationVars(c: ContainerEvidence): Vars {
  const t = c.termination;
  const code = t?.exitCode;
  const signal = t?.signal ?? signalName(undefined, code);
  return {
    pod: c.pod,
    container: c.container,
    ...(t?.reason ? { reason: t.reason } : {}),
    ...(code !== undefined ? { exitCode: String(code), exitMeaning: exitMeaning(code).meaning } : {}),
    ...(signal ? { signal } : {}),
  };
}

function matchOne(matcher: Matcher, ctx: Context, previous: Hit[]): Hit[] {
  const ev = ctx.evidence;
  if ('anyOf' in matcher) {
    return matcher.anyOf.flatMap((m) => matchOne(m, ctx, previous)).sort((a, b) => b.weight - a.weight);
  }
  if ('log' in matcher) return matchLog(matcher.log, ctx);
  if ('termination' in matcher) {
    const m = matcher.termination;
    return ev.containers
      .filter((c) => {
        const t = c.termination;
        if (!t || (m.init !== undefined && c.init !== m.init)) return false;
        const signal = t.signal ?? signalName(undefined, t.exitCode);
        return (
          inList(m.reason, t.reason) &&
          (!m.exitCode || (t.exitCode !== undefined && m.exitCode.includes(t.exitCode))) &&
          inList(m.signal, signal) &&
          (t.exitCode ?? 0) !== 0
        );
      })
      .map((c) => ({
        text: `${containerText(c)} last terminated: ${c.termination?.reason ?? 'unknown'} (exit code ${c.termination?.exitCode ?? 'unknown'})`,
        vars: terminationVars(c),
        weight: 1,
        subject: { pod: c.pod, container: c.container },
      }));
  }
  if ('waiting' in matcher) {
    const m = matcher.waiting;
    const message = m.message ? ci(m.message) : undefined;
    return ev.containers
      .filter(
        (c) =>
          c.waitingReason &&
          m.reason.includes(c.waitingReason) &&
          (m.init === undefined || c.init === m.init) &&
          (!message || message.test(c.waitingMessage ?? '')),
      )
      .map((c) => ({
        text: `${containerText(c)} waiting: ${c.waitingReason}${c.waitingMessage ? `: ${clip(c.waitingMessage)}` : ''}`,
        vars: {
          ...terminationVars(c),
          reason: c.waitingReason!,
          ...(c.waitingMessage ? { line: clip(c.waitingMessage) } : {}),
          ...keyVars(c.waitingMessage ?? ''),
        },
        weight: 1,
        subject: { pod: c.pod, container: c.container },
      }));
  }
  if ('event' in matcher) {
    const m = matcher.event;
    const message = m.message ? ci(m.message) : undefined;
    return ev.events
      .filter(
        (e) =>
          // An event about a pod that is gone or healthy now is history, not this incident.
          (e.kind !== 'Pod' || ctx.troubled(e.name)) &&
          m.reason.includes(e.reason) &&
          inList(m.kind, e.kind) &&
          (!m.type || m.type === e.type) &&
          (!message || message.test(e.message)),
      )
      .map((e) => ({
        text: `${e.kind}/${e.name} ${e.reason}${e.count > 1 ? ` (x${e.count})` : ''}: ${clip(e.message)}`,
        vars: { reason: e.reason, ...(e.kind === 'Pod' ? { pod: e.name } : {}), ...keyVars(e.message) },
        weight: 1,
      }));
  }
  if ('condition' in matcher) {
    const m = matcher.condition;
    const message = m.message ? ci(m.message) : undefined;
    return ev.conditions
      .filter(
        (c) =>
          (!m.on || m.on === c.on) &&
          c.type === m.type &&
          m.status.includes(c.status as never) &&
          inList(m.reason, c.reason) &&
          (!message || message.test(c.message ?? '')),
      )
      .map((c) => ({
        text: `${c.on === 'Node' ? 'node ' : ''}${c.name}: ${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${clip(c.message)}` : ''}`,
        vars: {
          ...(c.on === 'Node' ? { node: c.name } : { pod: c.name }),
          ...(c.reason ? { reason: c.reason } : {}),
        },
        weight: 1,
      }));
  }
  if ('dependency' in matcher) {
    const m = matcher.dependency;
    const named = previous.flatMap((h) => h.hosts ?? []);
    // Named by the failing line (or its error block): as good as seen; inferred, or any: a guess.
    const direct = previous.some((h) => h.hostsHow === 'own' || h.hostsHow === 'block');
    return ev.dependencies
      .filter(
        (d) =>
          m.state.includes(d.state) &&
          (!m.technology || m.technology.some((t) => d.reference.includes(t) || d.service.includes(t))) &&
          (named.length === 0 || named.some((h) => sameHost(h, d))),
      )
      .map((d) => ({
        text: dependencyText(d),
        vars: dependencyVars(d),
        weight: named.length && direct ? 1 : INFERRED_DEPENDENCY,
        dependency: d,
      }));
  }
  if ('revision' in matcher) {
    const m = matcher.revision;
    const { current, previous: prev } = ctx.revisions();
    if (!current) return [];
    const currentFailing = current.pods > current.readyPods || current.restarts > 0;
    const previousHealthy = prev?.healthy === true;
    if (m.currentFailing !== undefined && m.currentFailing !== currentFailing) return [];
    if (m.previousHealthy !== undefined && m.previousHealthy !== previousHealthy) return [];
    const state = `revision ${current.revision} has ${current.readyPods}/${current.pods} pods ready and ${current.restarts} restarts`;
    return [
      {
        text: prev
          ? `${state}; revision ${prev.revision} ${prev.healthy ? `was healthy (${prev.readyPods}/${prev.pods} ready)` : prev.healthy === false ? 'was failing too' : 'has no pods left to judge'}`
          : state,
        vars: {
          revision: String(current.revision),
          ...(prev ? { previousRevision: String(prev.revision) } : {}),
        },
        weight: 1,
      },
    ];
  }
  if ('resource' in matcher) {
    const m = matcher.resource;
    return ev.references
      .filter(
        (r) =>
          (!m.kind || m.kind.includes(r.kind)) &&
          (m.state as string[]).includes(r.state) &&
          (m.optional || !r.optional),
      )
      .map((r) => ({
        text: `${r.kind} ${r.name}${r.key ? ` key ${r.key}` : ''} (used by ${r.usedBy}) is ${r.state}`,
        vars: { resource: r.name, resourceKind: r.kind, ...(r.key ? { key: r.key } : {}) },
        weight: 1,
      }));
  }
  if ('container' in matcher) {
    const m = matcher.container;
    return ev.containers
      .filter(
        (c) =>
          (m.running === undefined || c.running === m.running) &&
          (m.ready === undefined || c.ready === m.ready) &&
          (m.init === undefined || c.init === m.init) &&
          c.restartCount >= (m.minRestarts ?? 0) &&
          (m.maxRestarts === undefined || c.restartCount <= m.maxRestarts),
      )
      .map((c) => ({
        text: `${containerText(c)} is ${c.running ? 'running' : 'not running'}${c.running && !c.ready ? ' but not ready' : c.ready ? ' and ready' : ''}${c.restartCount ? ` (${c.restartCount} restarts)` : ''}`,
        vars: { pod: c.pod, container: c.container },
        weight: 1,
        subject: { pod: c.pod, container: c.container },
      }));
  }
  if ('service' in matcher) {
    const m = matcher.service;
    return ev.services
      .filter((s) => (m.state === 'no-endpoints' ? s.readyEndpoints === 0 : s.unmatchedPorts.length > 0))
      .map((s) => ({
        text:
          m.state === 'no-endpoints'
            ? `Service ${s.name} has no ready endpoints`
            : `Service ${s.name} port ${s.unmatchedPorts[0].port} targets ${s.unmatchedPorts[0].targetPort}, which no container of its pods exposes`,
        vars: {
          service: s.name,
          serviceNamespace: ev.target.namespace,
          ...(s.unmatchedPorts[0] ? { port: String(s.unmatchedPorts[0].targetPort) } : {}),
        },
        weight: 1,
      }));
  }
  if ('workload' in matcher) {
    const state = workloadState(ctx);
    return state && matcher.workload.state.includes(state.state)
      ? [{ text: state.text, vars: { reason: state.state, line: state.text }, weight: 1 }]
      : [];
  }
  const m = matcher.job;
  const w = ev.workload;
  if (!w?.failedReason || !inList(m.failedReason, w.failedReason)) return [];
  return [
    {
      text: `${ev.target.kind} ${ev.target.name} failed: ${w.failedReason}${w.failedMessage ? `: ${clip(w.failedMessage)}` : ''}`,
      vars: { reason: w.failedReason, ...(w.cronJob ? { cronJob: w.cronJob } : {}) },
      weight: 1,
    },
  ];
}

/** Waiting reasons of a container that is only starting. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

/** An app container that is fine, or (`starting`) on its way: no restart, no failed exit, no failure wait. */
function clean(c: ContainerEvidence, starting: boolean): boolean {
  if (c.init) return c.ready || (c.termination?.exitCode ?? 0) === 0 || (starting && c.running);
  if (c.restartCount > 0 || (c.termination?.exitCode ?? 0) !== 0) return false;
  if (c.waitingReason) return starting && STARTING.has(c.waitingReason);
  return c.ready || (starting && c.running);
}

/**
 * Whether the workload is fine right now, whatever the alert said: `healthy` (every pod ready, no
 * container restarted or waiting: an alert that resolved, or a restart that already worked) or
 * `progressing` (a rollout replaces older pods and the new revision's pods start without a
 * restart, a failed exit or a warning other than early readiness failures). Jobs never are.
 */
function workloadState(ctx: Context): { state: 'healthy' | 'progressing'; text: string } | undefined {
  const ev = ctx.evidence;
  if (ev.target.kind === 'Job' || ev.target.kind === 'CronJob' || ev.containers.length === 0)
    return undefined;
  const unscheduled = ev.conditions.some(
    (c) => c.on === 'Pod' && c.type === 'PodScheduled' && c.status === 'False',
  );
  if (unscheduled) return undefined;
  const pods = [...new Set(ev.containers.map((c) => c.pod))];
  const w = ev.workload;
  // Failures the pods' own state does not show: a log that reports them, a Service without
  // endpoints or on the wrong port, a missing ConfigMap or Secret, an unhealthy node.
  const logsFailure = (of: Set<string>) => ctx.logs.some((v) => of.has(v.log.pod) && v.lines.length > 0);
  // The controller's own warnings (FailedCreate of a ReplicaSet) say pods are missing.
  const controllerWarned = ev.events.some((e) => e.kind !== 'Pod' && e.type === 'Warning');
  const servicesFine = ev.services.every((svc) => svc.readyEndpoints > 0 && svc.unmatchedPorts.length === 0);
  const referencesFine = ev.references.every(
    (r) => r.optional || ['present', 'Bound', 'unknown'].includes(r.state),
  );
  const nodesFine = ev.conditions.every(
    (c) => c.on !== 'Node' || (c.type === 'Ready' ? c.status === 'True' : c.status !== 'True'),
  );
  if (
    ev.containers.every((c) => clean(c, false)) &&
    !!w &&
    w.replicas > 0 &&
    w.readyReplicas >= w.replicas &&
    !controllerWarned &&
    servicesFine &&
    referencesFine &&
    nodesFine &&
    !logsFailure(new Set(pods))
  ) {
    return { state: 'healthy', text: `${pods.length} pods ready, no container restarted or waiting` };
  }
  const { current } = ctx.revisions();
  if (!current) return undefined;
  const newer = ev.containers.filter((c) => c.revision === current.revision);
  const older = ev.containers.filter((c) => c.revision !== undefined && c.revision < current.revision);
  // The older pods served or failed: a rollout replaces an established revision. Old and new pods
  // all merely starting is a workload coming up, which a probe or a crash will soon explain.
  const established = older.some((c) => !c.init && (c.ready || c.restartCount > 0));
  if (newer.length === 0 || !established || !newer.every((c) => clean(c, true))) return undefined;
  const newPods = new Set(newer.map((c) => c.pod));
  const warned = ev.events.some(
    (e) =>
      e.kind === 'Pod' &&
      newPods.has(e.name) &&
      e.type === 'Warning' &&
      !(e.reason === 'Unhealthy' && /Readiness probe failed/i.test(e.message) && e.count < 3),
  );
  if (warned || logsFailure(newPods) || !referencesFine || !nodesFine) return undefined;
  return {
    state: 'progressing',
    text: `rollout to revision ${current.revision} in progress: its ${newPods.size} pods start without a restart or a failure, ${new Set(older.map((c) => c.pod)).size} older pods still run`,
  };
}

/** `couldn't find key DB_PASSWORD in Secret ns/name`, `configmap "x" not found`. */
function keyVars(message: string): Vars {
  const key = /couldn't find key (\S+) in (ConfigMap|Secret) (?:[\w-]+\/)?([\w.-]+)/i.exec(message);
  if (key) return { key: key[1], resourceKind: key[2], resource: key[3] };
  const missing = /(configmap|secret|persistentvolumeclaim)s? "([^"]+)" not found/i.exec(message);
  if (missing) {
    const kind = { configmap: 'ConfigMap', secret: 'Secret', persistentvolumeclaim: 'PersistentVolumeClaim' }[
      missing[1].toLowerCase()
    ];
    return { resource: missing[2], ...(kind ? { resourceKind: kind } : {}) };
  }
  return {};
}

function sameHost(h: HostReference, d: DependencyEvidence): boolean {
  return (
    d.reference === h.host || d.reference.startsWith(`${h.host}:`) || d.reference === `${h.host}:${h.port}`
  );
}

function dependencyText(d: DependencyEvidence): string {
  if (d.state === 'not-found') return `${d.reference}: no Service "${d.service}" in namespace ${d.namespace}`;
  const where = `Service ${d.namespace}/${d.service}`;
  if (d.state === 'port-mismatch') return `${d.reference}: ${where} does not serve port ${d.port}`;
  return `${d.reference}: ${where} has ${d.readyEndpoints} ready endpoint${d.readyEndpoints === 1 ? '' : 's'}${d.diagnosis ? `: ${d.diagnosis}` : ''}`;
}

function dependencyVars(d: DependencyEvidence): Vars {
  return {
    service: d.service,
    serviceNamespace: d.namespace,
    ...(d.port ? { port: String(d.port) } : {}),
    ...(d.diagnosis ? { dependencyDiagnosis: d.diagnosis } : {}),
  };
}

/** The vars every template can use, from the incident itself. */
function baseVars(ctx: Context): Vars {
  const { target } = ctx.evidence;
  const { current, previous } = ctx.revisions();
  const pods = [...new Set(ctx.evidence.containers.map((c) => c.pod))];
  return {
    namespace: target.namespace,
    workload: target.name,
    kind: target.kind,
    ...(pods[0] ? { pod: pods[0] } : {}),
    ...(current ? { revision: String(current.revision) } : {}),
    ...(previous ? { previousRevision: String(previous.revision) } : {}),
    ...(ctx.evidence.workload?.cronJob ? { cronJob: ctx.evidence.workload.cronJob } : {}),
  };
}

/** Placeholders without a value read as what they stand for, e.g. `<service>`. */
export function render(template: string, vars: Vars): string {
  const value = (names: string) =>
    (names.split('|') as Placeholder[]).map((n) => vars[n]).find((v) => v !== undefined);
  // `[[...]]`: a clause that only makes sense with its values ("roll back to revision {previousRevision}").
  const clauses = template.replace(OPTIONAL_CLAUSE, (_, clause: string) =>
    [...clause.matchAll(PLACEHOLDER_PATTERN)].every((m) => value(m[1]) !== undefined) ? clause : '',
  );
  return clauses.replace(
    PLACEHOLDER_PATTERN,
    (_, names: string) => value(names) ?? `<${names.split('|')[0]}>`,
  );
}

interface Match {
  hits: Hit[];
  weight: number;
  vars: Vars;
  /** The rule's confidence, or higher when corroborating evidence holds (`raise`). */
  confidence: number;
}

/** All matchers hold: the best hit of each, the vars of earlier matchers first. */
function matchRule(rule: Rule, ctx: Context): Match | undefined {
  const hits: Hit[] = [];
  for (const matcher of rule.when) {
    const found = matchOne(matcher, ctx, hits);
    if (found.length === 0) return undefined;
    hits.push(found[0]);
  }
  const vars: Vars = {};
  for (const hit of [...hits].reverse()) Object.assign(vars, hit.vars);
  return {
    hits,
    weight: Math.min(...hits.map((h) => h.weight)),
    vars,
    confidence: raisedConfidence(rule, ctx, hits),
  };
}

/** The rule's confidence, raised by the corroborating evidence that holds (the highest). */
function raisedConfidence(rule: Rule, ctx: Context, hits: Hit[]): number {
  let confidence = rule.confidence;
  for (const r of rule.raise ?? []) {
    if (r.confidence <= confidence) continue;
    const found: Hit[] = [...hits];
    const holds = r.when.every((matcher) => {
      const h = matchOne(matcher, ctx, found);
      if (h.length) found.push(h[0]);
      return h.length > 0;
    });
    if (holds) confidence = r.confidence;
  }
  return confidence;
}

/** What a dependency is called in the cluster: its Service, its workload, the images it runs. */
function dependencyNames(d: DependencyEvidence): string[] {
  return [d.service, d.workload?.name ?? '', ...(d.images ?? [])];
}

/** A dependency a failing line of the hypothesis names, found in the cluster. */
function dependencyOf(match: Match, ctx: Context): DependencyEvidence | undefined {
  const direct = match.hits.find((h) => h.dependency)?.dependency;
  if (direct) return direct;
  const hosts = match.hits.flatMap((h) => h.hosts ?? []);
  const named = ctx.evidence.dependencies.find((d) => hosts.some((h) => sameHost(h, d)));
  if (named || hosts.length) return named;
  // "Redis connection refused" names no host: the dependency an address env var (REDIS_HOST)
  // pointed at, if it is the same technology.
  const technology = match.hits.map((h) => h.technology).find(Boolean) as Technology | undefined;
  if (!technology) return undefined;
  return ctx.evidence.dependencies.find((d) => namesTechnology(technology, ...dependencyNames(d)));
}

/** What the cause calls for, given the dependency's state now and the revision history. */
function remediationFor(
  rule: Rule,
  dependency: DependencyEvidence | undefined,
  badRelease: boolean,
): { remediation: Remediation; note?: string } {
  let remediation: Remediation = rule.remediation;
  let note: string | undefined;
  if (remediation === 'wait-for-dependency') {
    if (dependency?.state === 'up') {
      remediation = 'restart';
      note = `${dependency.service} has ready endpoints now: a restart reconnects`;
    } else if (!dependency || (dependency.state !== 'down' && dependency.state !== 'not-found')) {
      // Nothing in the cluster to wait for (an external host, or a Service on another port).
      remediation = 'restart';
    }
  }
  if (badRelease && rule.rollbackOnBadRelease && remediation !== 'rollback') {
    const dependencyDown = remediation === 'wait-for-dependency';
    if (!dependencyDown) {
      remediation = 'rollback';
      note = 'the previous revision was healthy: roll back';
    }
  }
  return { remediation, ...(note ? { note } : {}) };
}

function badReleaseHolds(ctx: Context): boolean {
  const { current, previous } = ctx.revisions();
  return (
    !!current &&
    !!previous &&
    previous.healthy === true &&
    (current.pods > current.readyPods || current.restarts > 0)
  );
}

/**
 * The hypotheses the evidence supports, best first. Each names its rule, cause and fix (with
 * the incident's names), the redacted evidence lines, and the remediation it calls for.
 */
export function evaluateRules(rules: readonly Rule[], evidence: DiagnosisEvidence): Hypothesis[] {
  const ctx = new Context(evidence);
  const base = baseVars(ctx);
  const badRelease = badReleaseHolds(ctx);
  const batch = evidence.target.kind === 'Job' || evidence.target.kind === 'CronJob';
  const scored: Array<{ h: Hypothesis; score: number; order: number }> = [];
  rules.forEach((rule, order) => {
    if (rule.disabled) return;
    const match = matchRule(rule, ctx);
    if (!match) return;
    const dependency = dependencyOf(match, ctx);
    const vars: Vars = { ...base, ...match.vars, ...(dependency ? dependencyVars(dependency) : {}) };
    // Not resolved in the cluster: the host the line names is still the best name for the service.
    if (!vars.service && vars.host && !/^[\d.]+$/.test(vars.host)) {
      const [service, ns] = vars.host.split('.');
      vars.service = service;
      vars.serviceNamespace = ns ?? base.namespace;
    }
    const decided = remediationFor(rule, dependency, badRelease);
    const { note } = decided;
    let { remediation } = decided;
    let rerun = '';
    if (batch && remediation !== 'none') {
      // A Job is never restarted: a transient cause is fixed by running it again, by a human.
      rerun = base.cronJob
        ? ` Once the cause is gone, rerun it: \`kubectl create job --from=cronjob/${base.cronJob} ${base.cronJob}-rerun -n ${base.namespace}\`.`
        : ` Once the cause is gone, rerun it: recreate Job ${base.workload} from its manifest (a Job's pod template cannot change).`;
      remediation = 'none';
    }
    const lines = match.hits.map((h) => h.text);
    if (dependency && !lines.includes(dependencyText(dependency))) lines.push(dependencyText(dependency));
    // The line the container died on supports any hypothesis about that container.
    const subject = match.hits.find((h) => h.subject)?.subject;
    const support = subject ? ctx.decisiveFor(subject.pod, subject.container) : undefined;
    if (support) {
      const text = logText(support.view.log, support.line.line, support.view.runtime);
      if (!lines.includes(text)) lines.push(text);
    }
    let cause = render(rule.cause, vars);
    if (dependency && (dependency.state === 'down' || dependency.state === 'not-found')) {
      // The dependency and its own diagnosis are the cause ("redis has no ready endpoints: its pod is OOMKilled").
      if (!cause.includes(dependency.service)) cause += ` ${dependencyText(dependency)}.`;
      else if (dependency.diagnosis && !cause.includes(dependency.diagnosis))
        cause += ` ${dependency.service}: ${dependency.diagnosis}.`;
    }
    if (note && !batch) cause += ` (${note}.)`;
    const confidence = Math.round(match.confidence * match.weight * 100) / 100;
    scored.push({
      h: {
        ruleId: rule.id,
        cause,
        confidence,
        evidence: [...new Set(lines)].slice(0, EVIDENCE_LINES).map((l) => redactText(l)),
        fix: render(rule.fix, vars) + rerun,
        remediation,
        ...(dependency
          ? {
              dependency: {
                reference: dependency.reference,
                namespace: dependency.namespace,
                service: dependency.service,
                readyEndpoints: dependency.readyEndpoints,
                ...(dependency.workload ? { workload: dependency.workload } : {}),
                ...(dependency.diagnosis ? { diagnosis: dependency.diagnosis } : {}),
              },
            }
          : {}),
        runbook: rule.runbook ?? { file: 'user rules', section: rule.id },
        ...(rule.reason ? { reason: render(rule.reason, vars) } : {}),
      },
      score: confidence,
      order,
    });
  });
  return scored.sort((a, b) => b.score - a.score || a.order - b.order).map((s) => s.h);
}

/** The remediation of the best hypothesis; none, and unsure, when no hypothesis is confident. */
export function decideRemediation(hypotheses: Hypothesis[]): RemediationDecision {
  const top = hypotheses[0];
  if (!top) {
    return {
      action: 'none',
      confident: false,
      reason: 'No rule matched the evidence: the cause is unknown, so nothing is changed automatically.',
    };
  }
  if (top.confidence < CONFIDENT) {
    return {
      action: 'none',
      confident: false,
      reason: `Unsure (${top.ruleId}, confidence ${top.confidence}): a human decides; the rules would call for ${top.remediation}.`,
    };
  }
  const reasons: Record<Remediation, string> = {
    restart: 'a restart is expected to recover it',
    rollback: 'the previous revision was healthy: roll back',
    'wait-for-dependency': `wait for ${top.dependency ? `${top.dependency.namespace}/${top.dependency.service}` : 'the dependency'} to become ready, then restart`,
    none: 'a restart cannot help: escalate with the fix',
  };
  return {
    action: top.remediation,
    confident: true,
    reason: `${top.ruleId} (confidence ${top.confidence}): ${top.reason ?? reasons[top.remediation]}.`,
    ...(top.remediation === 'wait-for-dependency' && top.dependency
      ? { dependency: { namespace: top.dependency.namespace, service: top.dependency.service } }
      : {}),
  };
}
