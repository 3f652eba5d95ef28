import { keyOf, onStoreEvents, types, type Controller, type ControllerContext } from '../runtime';
import type { KubeObject } from '../store';

/** The ConfigMap the root-ca-cert-publisher keeps in every namespace. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

/**
 * A self-signed CA certificate standing in for the cluster's (the sandbox serves plain http;
 * the bundle is published so that pods and tools that read it find the object they expect).
 */
const SANDBOX_CA_CRT = `-----BEGIN CERTIFICATE-----
MIIDCzCCAfOgAwIBAgIUajt58HTvWPajfnzddGK2FqTBSNAwDQYJKoZIhvcNAQEL
BQAwFTETMBEGA1UEAwwKa3ViZXJuZXRlczAeFw0yNjEyMDIxOTM5NTFaFw0zNjEx
MjkxOTM5NTFaMBUxEzARBgNVBAMMCmt1YmVybmV0ZXMwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQDRr2+MiK7Ds8W1D8S1xAf2shbKJBWdBe7RyJ2IC4ah
6zvGQ51fpp1xyemvQbRgnb/8wu/pdoI0NI15ZVkfWz56dLIzhzto2TN/nH1+MVoB
JK+grSnYqyxD4rkJZdQuhXqIAifgJPoPRM6l+NC9Y002iCN9HmEqzmqI15QA7gMk
OeiObwVnf/miLcqFHoGW12ekxVozAxUpDiGmjXfWBUt11FlMKscTDVnsb+GxYOZE
sKfhLtlwVZOJp2cz1v1WtuG7J4/jaWv+gOU/fOfvhW6uLtlx95a9pFqvotulf4eT
S2/uBVlwNdLAEP1xuMnbJZEtAWu3xA5G8KvUnulPqn3fAgMBAAGjUzBRMB0GA1Ud
DgQWBBQ6HM7oCm1bgTCz13Ht/jvCN7qFFjAfBgNVHSMEGDAWgBQ6HM7oCm1bgTCz
13Ht/jvCN7qFFjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQCr
q6chdao5sGM35LuO+o2C2VOVUhMbLR5pe3GCkOJ9SufKTGvkp83nvBmxtC+Kpqqj
BLHjxsyIhf8t35G0TdiuHuzMPU9HABewXB0NOv9Pnc5Y6MkzmOy46+lBYsiNQOi2
99GT80umqRM3l+KcxMgCNRcUR1nUZLX8rNvTNBYCaGTRB6R1nygqZ5gYX9jR92XI
chBGx1lQGEBQSvH1eXzxZOWbOFuWPkKlqaH2gLhH7cZA2H+NqdPi+3+yqgtZ5YCp
zmLdc+IcKoYl1zJi8WSWg6c64uTYLPmd4icyc2Za+br5mlrvZtwrWa5z4ViD0zNf
9Tk6ycAx+qHlPk2QVAat
-----END CERTIFICATE-----
`;

const CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

function active(ns: KubeObject | undefined): ns is KubeObject {
  return Boolean(ns && !ns.metadata.deletionTimestamp);
}

/**
 * What kube-controller-manager puts in every namespace: the `default` ServiceAccount (the
 * serviceaccount-controller) and the `kube-root-ca.crt` ConfigMap (the root-ca-cert-publisher).
 * Both come back when deleted, as upstream.
 */
export const namespaceDefaultsController: Controller = {
  name: 'namespace-defaults',
  start(ctx: ControllerContext) {
    const { store } = ctx;
    const queue = ctx.queue('namespace-defaults', (namespace) => {
      if (!active(store.get(types.namespaces, undefined, namespace))) return;
      if (!store.get(types.serviceaccounts, namespace, 'default')) {
        store.create(types.serviceaccounts, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'default', namespace },
        });
      }
      const ca = store.get(types.configmaps, namespace, ROOT_CA_CONFIGMAP);
      if (!ca || (ca.data as Record<string, string> | undefined)?.['ca.crt'] !== SANDBOX_CA_CRT) {
        const next: KubeObject = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            ...(ca ? structuredClone(ca.metadata) : { name: ROOT_CA_CONFIGMAP, namespace }),
            annotations: { ...ca?.metadata.annotations, 'kubernetes.io/description': CA_DESCRIPTION },
          },
          data: { 'ca.crt': SANDBOX_CA_CRT },
        };
        if (ca) store.update(types.configmaps, next);
        else store.create(types.configmaps, next);
      }
    });
    const unsubscribe = onStoreEvents(store, ['namespaces', 'serviceaccounts', 'configmaps'], (event) => {
      if (event.storageKey === 'namespaces') {
        if (event.type !== 'DELETED') queue.add(keyOf(event.object));
        return;
      }
      const { name, namespace } = event.object.metadata;
      const ours = event.storageKey === 'serviceaccounts' ? name === 'default' : name === ROOT_CA_CONFIGMAP;
      if (ours && namespace) queue.add(namespace);
    });
    for (const ns of store.list(types.namespaces)) queue.add(ns.metadata.name!);
    return unsubscribe;
  },
};
