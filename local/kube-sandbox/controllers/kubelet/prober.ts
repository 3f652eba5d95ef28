/**
 * The prober's workers: readiness and liveness probes of a container that does not answer, on
 * the probe's period; failureThreshold liveness failures in a row get it killed and restarted.
 * How each failure is worded lives in probe-messages.ts.
 */
import { exit } from './container-runtime';
import { record } from './events';
import { probeFailure, probeTiming } from './probe-messages';
import { later, type ContainerRun, type KubeletState, type PodRun } from './state';
import { publish } from './status-manager';

/** not-ready: the readiness probe fails with 503 on every period, so the container never turns ready. */
export function neverReady(k: KubeletState, run: PodRun, c: ContainerRun): void {
  const periodMs = (c.spec.readinessProbe?.periodSeconds ?? 10) * 1000;
  const probe = (): void => {
    record(
      k,
      run,
      c,
      'Warning',
      'Unhealthy',
      'Readiness probe failed: HTTP probe failed with statuscode: 503',
    );
    later(k, c.timers, periodMs, probe);
  };
  later(k, c.timers, periodMs, probe);
}

/**
 * The process stops answering: every probe of the spec fails from now on. Readiness
 * failures make it unready; failureThreshold liveness failures in a row get it killed
 * (SIGTERM, which it honours: exit 143) and restarted.
 */
export function hang(k: KubeletState, run: PodRun, c: ContainerRun): void {
  const readiness = c.spec.readinessProbe;
  if (readiness) {
    const { periodMs } = probeTiming(readiness);
    const probe = (): void => {
      c.ready = false;
      const why = probeFailure(readiness, c.spec, run.podIP, c.behavior);
      record(k, run, c, 'Warning', 'Unhealthy', `Readiness probe failed: ${why}`);
      publish(k, run);
      later(k, c.timers, periodMs, probe);
    };
    later(k, c.timers, periodMs, probe);
  }
  const liveness = c.spec.livenessProbe;
  if (!liveness) return;
  const { periodMs, failureThreshold, initialDelayMs } = probeTiming(liveness);
  const startedFor = k.clock.now() - Date.parse(c.runningSince!);
  let failures = 0;
  const probe = (): void => {
    failures += 1;
    const why = probeFailure(liveness, c.spec, run.podIP, c.behavior);
    record(k, run, c, 'Warning', 'Unhealthy', `Liveness probe failed: ${why}`);
    if (failures < failureThreshold) {
      later(k, c.timers, periodMs, probe);
      return;
    }
    record(
      k,
      run,
      c,
      'Normal',
      'Killing',
      `Container ${c.spec.name} failed liveness probe, will be restarted`,
    );
    const grace = run.terminationGracePeriodSeconds;
    later(k, c.timers, Math.min(grace, 1) * 1000, () => exit(k, run, c, 143, 'Error'));
  };
  later(k, c.timers, Math.max(periodMs, initialDelayMs - startedFor), probe);
}
