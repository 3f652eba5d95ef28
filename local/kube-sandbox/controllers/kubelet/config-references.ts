/**
 * What the kubelet reads from the API before it runs a pod: the ConfigMaps and Secrets its
 * volumes project (MountVolume.SetUp, before any container) and those its containers' env and
 * envFrom name (makeEnvironmentVariables, before each container is created). A missing object
 * or key that is not `optional` stops there, with the kubelet's words:
 * `configmap "x" not found` (the kubelet's object managers name the resource in the singular),
 * `couldn't find key K in ConfigMap ns/x`, `secret "x" not found`, `couldn't find key K in Secret ns/x`.
 */
import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1';
import { types } from '../../runtime';
import type { ObjectStore } from '../../store';

type Source = 'configmap' | 'secret';

const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

function lookup(store: ObjectStore, source: Source, namespace: string, name: string) {
  const t = source === 'configmap' ? types.configmaps : types.secrets;
  return store.get(t, namespace, name) as (ConfigMap & Secret) | undefined;
}

function hasKey(obj: ConfigMap & Secret, key: string): boolean {
  return key in (obj.data ?? {}) || key in (obj.binaryData ?? {}) || key in (obj.stringData ?? {});
}

/** The first env/envFrom reference of `container` that cannot be resolved, as the kubelet's error; undefined when all resolve. */
export function containerConfigError(
  store: ObjectStore,
  namespace: string,
  container: Container,
): string | undefined {
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref?.name || ref.optional) continue;
    const source: Source = from.configMapRef ? 'configmap' : 'secret';
    if (!lookup(store, source, namespace, ref.name)) return `${source} "${ref.name}" not found`;
  }
  for (const env of container.env ?? []) {
    const cmRef = env.valueFrom?.configMapKeyRef;
    const secretRef = env.valueFrom?.secretKeyRef;
    const ref = cmRef ?? secretRef;
    if (!ref?.name || ref.optional) continue;
    const source: Source = cmRef ? 'configmap' : 'secret';
    const obj = lookup(store, source, namespace, ref.name);
    if (!obj) return `${source} "${ref.name}" not found`;
    if (!hasKey(obj, ref.key)) {
      return `couldn't find key ${ref.key} in ${cmRef ? 'ConfigMap' : 'Secret'} ${namespace}/${ref.name}`;
    }
  }
  return undefined;
}

/** A volume that cannot be set up, with the error MountVolume.SetUp reports for it. */
export interface MountFailure {
  volume: string;
  error: string;
}

/** The pod's ConfigMap, Secret and projected volumes whose source (or an item's key) is missing. */
export function volumeMountFailures(store: ObjectStore, pod: Pod): MountFailure[] {
  const namespace = pod.metadata!.namespace!;
  const failures: MountFailure[] = [];
  for (const volume of pod.spec?.volumes ?? []) {
    const sources: Array<{
      source: Source;
      name?: string;
      optional?: boolean;
      items?: Array<{ key: string }>;
    }> = [];
    if (volume.configMap) sources.push({ source: 'configmap', ...volume.configMap });
    if (volume.secret) {
      const { secretName, ...rest } = volume.secret;
      sources.push({ source: 'secret', name: secretName, ...rest });
    }
    for (const p of volume.projected?.sources ?? []) {
      // The service-account volume's CA bundle: the root CA publisher keeps it in every
      // namespace of a real cluster, so the sandbox does not make its absence a failure.
      if (p.configMap && p.configMap.name !== ROOT_CA_CONFIGMAP)
        sources.push({ source: 'configmap', ...p.configMap });
      if (p.secret) sources.push({ source: 'secret', ...p.secret });
    }
    for (const s of sources) {
      if (!s.name || s.optional) continue;
      const obj = lookup(store, s.source, namespace, s.name);
      if (!obj) {
        failures.push({ volume: volume.name, error: `${s.source} "${s.name}" not found` });
        break;
      }
      const missing = (s.items ?? []).find((item) => !hasKey(obj, item.key));
      if (missing) {
        // The two volume plugins word it differently.
        const error =
          s.source === 'configmap'
            ? `configmap references non-existent config key: ${missing.key}`
            : `references non-existent secret key: ${missing.key}`;
        failures.push({ volume: volume.name, error });
        break;
      }
    }
  }
  return failures;
}
