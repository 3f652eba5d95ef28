import type { FieldCause, AdmissionTable } from './types';
import type { KubeObject } from '../store';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function labelName(obj: KubeObject, what: string): FieldCause[] {
  const name = obj.metadata.name ?? '';
  if (name.length > 63 || !DNS1123_LABEL.test(name)) {
    return [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      },
    ];
  }
  void what;
  return [];
}

/** Namespaces, Services, Secrets and ConfigMaps: the defaulting the API server applies. */
export const coreAdmission: AdmissionTable = {
  namespaces: {
    default(obj) {
      const name = obj.metadata.name!;
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': name };
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec as object) };
      obj.status = { phase: 'Active' };
    },
    validate: (obj) => labelName(obj, 'namespace'),
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
    validate: (obj) => labelName(obj, 'service'),
  },
};
