import type { Pod, PodSpec } from 'kubernetes-types/core/v1';
import { admit } from '../../../local/kube-sandbox/admission';
import {
  defaultImagePullPolicy,
  defaultPodSpec,
  podQosClass,
  validatePodSpec,
} from '../../../local/kube-sandbox/admission/pod';
import type { ApiError } from '../../../local/kube-sandbox/errors';
import { types } from '../../../local/kube-sandbox/runtime';
import type { KubeObject, Writable } from '../../../local/kube-sandbox/store';
import { admissionError } from '../../support/sandbox';

function pod(spec: Record<string, unknown>, name = 'web'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec };
}

function admitted(obj: KubeObject): Pod {
  admit(types.pods, obj);
  return obj as Pod;
}

function rejection(obj: KubeObject, old?: KubeObject): ApiError {
  const error = admissionError('pods', obj, old);
  if (error) return error;
  throw new Error('the pod was admitted');
}

describe('pod defaulting', () => {
  it('fills the defaults the API server gives a pod', () => {
    // Prepare
    const input = pod({
      containers: [
        {
          name: 'app',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80 }],
          readinessProbe: { httpGet: { port: 80 } },
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        },
      ],
      volumes: [{ name: 'scratch' }, { name: 'config', configMap: { name: 'app' } }],
    });

    // Act
    const result = admitted(input);

    // Assess
    const spec = result.spec!;
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    const app = spec.containers[0];
    expect(app).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: {},
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      readinessProbe: {
        httpGet: { port: 80, path: '/', scheme: 'HTTP' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      env: [{ name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
    });
    const tokenVolume = spec.volumes!.find((v) => v.name.startsWith('kube-api-access-'))!;
    expect(tokenVolume.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(tokenVolume.projected!.defaultMode).toBe(420);
    expect(app.volumeMounts).toContainEqual({
      name: tokenVolume.name,
      readOnly: true,
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
    expect(spec.volumes!.find((v) => v.name === 'scratch')).toEqual({ name: 'scratch', emptyDir: {} });
    expect(spec.volumes!.find((v) => v.name === 'config')!.configMap!.defaultMode).toBe(420);
    expect(spec.tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    expect(result.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v1', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
  ])('defaults imagePullPolicy of %s to %s', (image, policy) => {
    expect(defaultImagePullPolicy(image)).toBe(policy);
  });

  it('copies limits into missing requests and derives the QoS class', () => {
    // Prepare
    const guaranteed = pod({
      containers: [{ name: 'app', image: 'api:1', resources: { limits: { cpu: '500m', memory: '256Mi' } } }],
    });
    const burstable = pod({
      containers: [{ name: 'app', image: 'api:1', resources: { requests: { cpu: '100m' } } }],
    });

    // Act
    const g = admitted(guaranteed);
    const b = admitted(burstable);

    // Assess
    expect(g.spec!.containers[0].resources!.requests).toEqual({ cpu: '500m', memory: '256Mi' });
    expect(g.status!.qosClass).toBe('Guaranteed');
    expect(b.status!.qosClass).toBe('Burstable');
  });

  it('gives pod templates only the PodSpec defaults', () => {
    // Prepare
    const spec: Writable<PodSpec> = {
      serviceAccountName: 'api',
      containers: [{ name: 'app', image: 'api:latest', resources: { limits: { cpu: '1' } } }],
    };

    // Act
    defaultPodSpec(spec);

    // Assess
    expect(spec).toEqual({
      serviceAccountName: 'api',
      serviceAccount: 'api',
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      containers: [
        {
          name: 'app',
          image: 'api:latest',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          resources: { limits: { cpu: '1' } },
        },
      ],
    });
  });

  it('keeps an existing status phase (a scenario may seed one)', () => {
    // Prepare
    const input = pod({ containers: [{ name: 'app', image: 'api:1' }] });
    input.status = { phase: 'Running' };

    // Act
    const result = admitted(input);

    // Assess
    expect(result.status).toEqual({ phase: 'Running' });
  });

  it('computes BestEffort when nothing is requested', () => {
    expect(podQosClass({ containers: [{ name: 'app', image: 'x', resources: {} }] })).toBe('BestEffort');
  });
});

describe('pod validation', () => {
  it('requires at least one container', () => {
    // Act
    const error = rejection(pod({ containers: [] }));

    // Assess
    expect(error.code).toBe(422);
    expect(error.reason).toBe('Invalid');
    expect(error.message).toBe('Pod "web" is invalid: spec.containers: Required value');
    expect(error.details!.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' },
    ]);
  });

  it('reports bad and duplicate container names and missing images together', () => {
    // Act
    const error = rejection(
      pod({
        containers: [
          { name: 'app', image: 'api:1' },
          { name: 'app', image: 'api:1' },
          { name: 'Sidecar_1', image: 'envoy:1' },
          { name: 'cache' },
        ],
      }),
    );

    // Assess
    expect(error.message).toBe(
      'Pod "web" is invalid: [spec.containers[1].name: Duplicate value: "app", ' +
        `spec.containers[2].name: Invalid value: "Sidecar_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), ` +
        'spec.containers[3].image: Required value]',
    );
  });

  it('rejects unsupported restart policies and requests above limits', () => {
    // Act
    const error = rejection(
      pod({
        restartPolicy: 'Sometimes',
        containers: [
          { name: 'app', image: 'api:1', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } },
        ],
      }),
    );

    // Assess
    expect(error.details!.causes!.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
  });

  it('rejects a pod name that is not a DNS subdomain', () => {
    // Act
    const error = rejection(pod({ containers: [{ name: 'app', image: 'api:1' }] }, 'Web_1'));

    // Assess
    expect(error.details!.causes![0].field).toBe('metadata.name');
    expect(error.details!.causes![0].message).toMatch(
      /^Invalid value: "Web_1": a lowercase RFC 1123 subdomain/,
    );
  });

  it('validates templates with the same rules under their own path', () => {
    // Act
    const causes = validatePodSpec({ containers: [{ name: 'app', image: '' }] }, 'spec.template.spec');

    // Assess
    expect(causes).toEqual([
      {
        field: 'spec.template.spec.containers[0].image',
        message: 'Required value',
        reason: 'FieldValueRequired',
      },
    ]);
  });

  it('forbids pod updates beyond images, deadlines and added tolerations, whatever the key order', () => {
    // Prepare
    const old = admitted(pod({ containers: [{ name: 'app', image: 'api:1' }] })) as unknown as KubeObject;
    const newImage = structuredClone(old);
    (newImage.spec as PodSpec).containers[0] = {
      ...(newImage.spec as PodSpec).containers[0],
      image: 'api:2',
    };
    const newPort = structuredClone(old);
    (newPort.spec as Writable<PodSpec>).containers[0].ports = [{ containerPort: 8080 }];

    const reordered = JSON.parse(
      JSON.stringify(newImage, (_key, v: unknown) =>
        v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
      ),
    ) as KubeObject;

    // Act
    admit(types.pods, newImage, old);
    admit(types.pods, reordered, old);
    const error = rejection(newPort, old);

    // Assess
    expect(error.message).toBe(
      'Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
  });
});
