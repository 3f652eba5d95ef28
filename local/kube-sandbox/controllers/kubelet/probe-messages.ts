/**
 * How the kubelet's prober words a failed probe, per handler (pkg/probe/http, tcp, exec, grpc),
 * and the probe settings it runs with (the API server's defaults when unset).
 */
import type { Container, Probe } from 'kubernetes-types/core/v1';
import type { ContainerBehavior } from '../../behavior';

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  failureThreshold: number;
}

export function probeTiming(probe: Probe): ProbeTiming {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** A probe port: a number, or the name of one of the container's ports. */
function portOf(port: number | string | undefined, container: Container): number | string {
  if (typeof port === 'number' || port === undefined) return port ?? 80;
  return container.ports?.find((p) => p.name === port)?.containerPort ?? port;
}

/** What follows `Liveness probe failed: ` (or Readiness) for a probe that fails as `behavior` says. */
export function probeFailure(
  probe: Probe,
  container: Container,
  podIP: string,
  behavior: ContainerBehavior,
): string {
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  if (probe.httpGet) {
    const { path = '/', scheme = 'HTTP', host } = probe.httpGet;
    const url = `${scheme.toLowerCase()}://${host ?? podIP}:${portOf(probe.httpGet.port, container)}${path}`;
    if (behavior.probeTimeout) {
      return `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
    }
    return `HTTP probe failed with statuscode: ${behavior.probeStatusCode ?? 500}`;
  }
  if (probe.tcpSocket) {
    const address = `${probe.tcpSocket.host ?? podIP}:${portOf(probe.tcpSocket.port, container)}`;
    return behavior.probeTimeout
      ? `dial tcp ${address}: i/o timeout`
      : `dial tcp ${address}: connect: connection refused`;
  }
  if (probe.grpc) {
    return behavior.probeTimeout
      ? `timeout: health rpc did not complete within ${timeoutSeconds}s`
      : 'service unhealthy (responded with "NOT_SERVING")';
  }
  if (probe.exec && behavior.probeTimeout) {
    return `command ${JSON.stringify((probe.exec.command ?? []).join(' '))} timed out`;
  }
  return behavior.probeOutput ?? '';
}
