import { errors } from '../errors';
import type { RequestContext, ResourceRoute } from './context';

/** GET pods/NAME/log: one container instance's lines, filtered as the kubelet filters them. */
export function getLog(ctx: RequestContext, route: ResourceRoute): void {
  const { store, logs } = ctx.deps;
  const params = ctx.url.searchParams;
  const pod = store.mustGet(route.t, route.namespace, route.name!);
  const spec = pod.spec as { containers: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
  const containers = spec.containers.map((c) => c.name);
  const initContainers = (spec.initContainers ?? []).map((c) => c.name);
  let container = params.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) {
      const init = initContainers.length
        ? ` or one of the init containers: [${initContainers.join(' ')}]`
        : '';
      throw errors.badRequest(
        `a container name must be specified for pod ${route.name}, choose one of: [${containers.join(' ')}]${init}`,
      );
    }
    container = containers[0];
  }
  if (!containers.includes(container) && !initContainers.includes(container)) {
    throw errors.badRequest(`container ${container} is not valid for pod ${route.name}`);
  }
  const status = pod.status as
    | {
        containerStatuses?: ContainerStatusView[];
        initContainerStatuses?: ContainerStatusView[];
      }
    | undefined;
  const cs = [...(status?.containerStatuses ?? []), ...(status?.initContainerStatuses ?? [])].find(
    (s) => s.name === container,
  );
  const previous = params.get('previous') === 'true';
  const instance = logInstance(cs, previous, container, route.name!);
  let lines = logs.read(pod.metadata.uid!, container, instance) ?? [];
  const sinceSeconds = params.get('sinceSeconds');
  const sinceTime = params.get('sinceTime');
  if (sinceSeconds) {
    const from = ctx.deps.clock.now() - Number(sinceSeconds) * 1000;
    lines = lines.filter((l) => l.at >= from);
  } else if (sinceTime) {
    const from = Date.parse(sinceTime);
    lines = lines.filter((l) => l.at >= from);
  }
  const tail = params.get('tailLines');
  if (tail !== null) {
    const n = Number(tail);
    if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`invalid tailLines: ${tail}`);
    lines = n === 0 ? [] : lines.slice(-n);
  }
  const timestamps = params.get('timestamps') === 'true';
  let text = lines
    .map((l) => `${timestamps ? `${ctx.deps.clock.rfc3339Nano(l.at)} ` : ''}${l.text}\n`)
    .join('');
  const limitBytes = params.get('limitBytes');
  if (limitBytes !== null) {
    const n = Number(limitBytes);
    if (!Number.isInteger(n) || n < 1) throw errors.badRequest(`invalid limitBytes: ${limitBytes}`);
    text = Buffer.from(text).subarray(0, n).toString('utf8');
  }
  ctx.entry.status = 200;
  ctx.res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

interface ContainerStatusView {
  name: string;
  restartCount: number;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: unknown };
  lastState?: { terminated?: unknown };
}

/**
 * Which container instance a log request reads, following the kubelet's
 * validateContainerLogStatus: `previous` is the one in lastState.terminated; otherwise the
 * running or just-terminated one, else the last terminated one, else a "waiting to start" error.
 * Instances are numbered by the restartCount they ran under; a container waiting in
 * CrashLoopBackOff has not yet counted the restart, so its last run is `restartCount`.
 */
function logInstance(
  cs: ContainerStatusView | undefined,
  previous: boolean,
  container: string,
  pod: string,
): number {
  if (!cs)
    throw errors.badRequest(
      `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`,
    );
  if (previous) {
    if (!cs.lastState?.terminated) {
      throw errors.badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
    }
    return cs.state?.waiting ? cs.restartCount : cs.restartCount - 1;
  }
  if (cs.state?.running || cs.state?.terminated || cs.lastState?.terminated) return cs.restartCount;
  const reason = cs.state?.waiting?.reason ?? 'ContainerCreating';
  const why =
    reason === 'ErrImagePull'
      ? "image can't be pulled"
      : reason === 'ImagePullBackOff'
        ? 'trying and failing to pull image'
        : reason;
  throw errors.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ${why}`);
}
