import {
  availableSince,
  isPodAvailable,
  type PodObject,
} from '../../../local/kube-sandbox/controllers/workload-common';

// podutil.IsPodAvailable, the one rule the ReplicaSet, Deployment, StatefulSet and DaemonSet
// controllers count availableReplicas by: Ready, and Ready for minReadySeconds with that
// instant included (kubernetes/kubernetes pkg/api/v1/pod/util.go compares `<= now`).
const READY_AT = '2026-03-01T12:00:00Z';
const readyAt = Date.parse(READY_AT);

function pod(ready: 'True' | 'False' | undefined, lastTransitionTime: string | null = READY_AT): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default' },
    status: {
      phase: 'Running',
      conditions: ready
        ? [{ type: 'Ready', status: ready, ...(lastTransitionTime ? { lastTransitionTime } : {}) }]
        : [],
    },
  } as PodObject;
}

describe('pod availability (podutil.IsPodAvailable)', () => {
  it('counts a pod Ready for exactly minReadySeconds as available', () => {
    // Prepare
    const ready = pod('True');
    // Act
    const available = isPodAvailable(ready, 10, readyAt + 10_000);
    // Assess
    expect(available).toBe(true);
  });

  it('counts a pod Ready for just over minReadySeconds as available, and just under as not', () => {
    const ready = pod('True');
    expect(isPodAvailable(ready, 10, readyAt + 10_001)).toBe(true);
    expect(isPodAvailable(ready, 10, readyAt + 9_999)).toBe(false);
  });

  it('wakes the controllers at the instant the pod becomes available', () => {
    expect(availableSince(pod('True'), 10)).toBe(readyAt + 10_000);
  });

  it('counts a Ready pod as available at once when minReadySeconds is 0', () => {
    expect(isPodAvailable(pod('True'), 0, readyAt)).toBe(true);
    expect(isPodAvailable(pod('True', null), 0, readyAt)).toBe(true);
  });

  it('never counts a pod that is not Ready, or Ready with no transition time under minReadySeconds', () => {
    expect(isPodAvailable(pod('False'), 0, readyAt + 60_000)).toBe(false);
    expect(isPodAvailable(pod(undefined), 0, readyAt + 60_000)).toBe(false);
    expect(isPodAvailable(pod('True', null), 10, readyAt + 60_000)).toBe(false);
    expect(availableSince(pod('True', null), 10)).toBeUndefined();
  });
});
