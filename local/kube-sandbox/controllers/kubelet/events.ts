/** The kubelet's event recorder: events on the pod, from `kubelet` on its node, with the container's field path. */
import { currentPod, type ContainerRun, type KubeletState, type PodRun } from './state';

export function record(
  k: KubeletState,
  run: PodRun,
  c: ContainerRun | undefined,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
) {
  const pod = currentPod(k, run);
  if (!pod) return;
  k.events.record(pod, type, reason, message, {
    component: 'kubelet',
    host: run.nodeName,
    ...(c ? { fieldPath: c.fieldPath } : {}),
  });
}
