import type { AdmissionTable } from './types';

/**
 * Namespaces, Services, Secrets and Events: the defaulting the API server applies, and the
 * name rules that differ from the usual RFC 1123 subdomain.
 */
export const coreAdmission: AdmissionTable = {
  namespaces: {
    default(obj) {
      const name = obj.metadata.name!;
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': name };
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec as object) };
      obj.status = { phase: 'Active' };
    },
    name: 'label',
  },
  secrets: {
    default(obj) {
      // stringData is write-only: the API server folds it into base64 data.
      const stringData = obj.stringData as Record<string, string> | undefined;
      if (stringData) {
        const data = { ...(obj.data as Record<string, string>) };
        for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v).toString('base64');
        obj.data = data;
        delete obj.stringData;
      }
      obj.type = obj.type ?? 'Opaque';
    },
  },
  // Only events.k8s.io/v1 checks an Event's name; core/v1 stays lenient for old clients.
  events: { name: (t) => (t.group === 'events.k8s.io' ? 'subdomain' : 'none') },
  services: {
    default(obj) {
      const spec = (obj.spec ?? {}) as Record<string, unknown>;
      spec.type = spec.type ?? 'ClusterIP';
      spec.sessionAffinity = spec.sessionAffinity ?? 'None';
      if (!spec.clusterIP && spec.type !== 'ExternalName') {
        const n = [...(obj.metadata.name ?? '')].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
        spec.clusterIP = `172.20.${(n >> 8) % 255}.${(n % 254) + 1}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      spec.ipFamilies = spec.ipFamilies ?? ['IPv4'];
      spec.ipFamilyPolicy = spec.ipFamilyPolicy ?? 'SingleStack';
      spec.internalTrafficPolicy = spec.internalTrafficPolicy ?? 'Cluster';
      for (const port of (spec.ports ?? []) as Array<Record<string, unknown>>) {
        port.protocol = port.protocol ?? 'TCP';
        port.targetPort = port.targetPort ?? port.port;
      }
      obj.spec = spec;
      obj.status = obj.status ?? { loadBalancer: {} };
    },
    name: 'dns1035-label',
  },
};
