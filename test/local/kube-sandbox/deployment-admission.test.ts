import type { ApiError } from '../../../local/kube-sandbox/errors';
import type { KubeObject } from '../../../local/kube-sandbox/store';
import { deploymentManifest } from '../../support/manifests';
import { admissionError, admitted } from '../../support/sandbox';
import { type DeploymentObject, type ReplicaSetObject } from '../../support/sandbox-deployments';

function rejection(obj: KubeObject, storageKey = 'deployments.apps', old?: KubeObject): ApiError {
  const error = admissionError(storageKey, obj, old);
  if (error) return error;
  throw new Error('expected admission to reject the object');
}

describe('Deployment admission', () => {
  it('fills the apps/v1 defaults', () => {
    // Prepare
    const manifest = deploymentManifest('web');
    delete manifest.spec!.replicas;

    // Act
    const d = admitted('deployments.apps', manifest) as DeploymentObject;

    // Assess
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec!.template.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
    });
    expect(d.spec!.template.spec!.containers[0]).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
    });
    expect(d.status).toEqual({});
  });

  it('leaves rollingUpdate unset for Recreate', () => {
    // Prepare
    const manifest = deploymentManifest('web', { strategy: { type: 'Recreate' } });

    // Act
    const d = admitted('deployments.apps', manifest) as DeploymentObject;

    // Assess
    expect(d.spec!.strategy).toEqual({ type: 'Recreate' });
  });

  it('rejects a selector that does not match the template labels, with the API server message', () => {
    // Prepare
    const manifest = deploymentManifest('web');
    manifest.spec!.template.metadata!.labels = { app: 'other', tier: 'x' };

    // Act
    const error = rejection(manifest);

    // Assess
    expect(error.code).toBe(422);
    expect(error.message).toBe(
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"x"}: `selector` does not match template `labels`',
    );
    expect(error.details!.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: map[string]string{"app":"other", "tier":"x"}: `selector` does not match template `labels`',
        field: 'spec.template.metadata.labels',
      },
    ]);
  });

  it('requires a selector, and reports the template mismatch with it', () => {
    // Prepare
    const manifest = deploymentManifest('web');
    delete (manifest.spec as { selector?: unknown }).selector;

    // Act
    const error = rejection(manifest);

    // Assess
    expect(error.details!.causes!.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  it('rejects template labels that are missing altogether', () => {
    // Prepare
    const manifest = deploymentManifest('web');
    delete manifest.spec!.template.metadata!.labels;

    // Act
    const error = rejection(manifest);

    // Assess
    expect(error.details!.causes).toEqual([
      expect.objectContaining({
        field: 'spec.template.metadata.labels',
        message: 'Invalid value: map[string]string(nil): `selector` does not match template `labels`',
      }),
    ]);
  });

  it('rejects an empty selector', () => {
    // Prepare
    const manifest = deploymentManifest('web');
    manifest.spec!.selector = {};

    // Act
    const error = rejection(manifest);

    // Assess
    expect(error.details!.causes).toEqual([
      expect.objectContaining({
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
      }),
    ]);
  });

  it('rejects rollingUpdate on a Recreate strategy and two zero fenceposts', () => {
    // Prepare
    const recreate = deploymentManifest('web', {
      strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } },
    });
    const zeros = deploymentManifest('web', {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } },
    });

    // Act
    const recreateError = rejection(recreate);
    const zerosError = rejection(zeros);

    // Assess
    expect(recreateError.message).toBe(
      'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is \'Recreate\'',
    );
    expect(zerosError.message).toBe(
      'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0',
    );
  });

  it('rejects bad percentages, negative counts and a deadline not above minReadySeconds', () => {
    // Prepare
    const manifest = deploymentManifest('web', {
      replicas: -1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots', maxUnavailable: '120%' } },
      spec: { minReadySeconds: 30, progressDeadlineSeconds: 30 },
    });

    // Act
    const error = rejection(manifest);

    // Assess
    expect(error.details!.causes!.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"lots"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
      'spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds',
    ]);
  });

  it('rejects a restartPolicy other than Always in the template', () => {
    // Prepare
    const manifest = deploymentManifest('web');
    manifest.spec!.template.spec!.restartPolicy = 'OnFailure';

    // Act
    const error = rejection(manifest);

    // Assess
    expect(error.details!.causes).toEqual([
      {
        field: 'spec.template.spec.restartPolicy',
        message: 'Unsupported value: "OnFailure": supported values: "Always"',
        reason: 'FieldValueNotSupported',
      },
    ]);
  });

  it('keeps the selector immutable on update', () => {
    // Prepare
    const old = admitted('deployments.apps', deploymentManifest('web'));
    const next = structuredClone(old) as DeploymentObject;
    next.spec!.selector = { matchLabels: { app: 'web', tier: 'x' } };
    next.spec!.template.metadata!.labels = { app: 'web', tier: 'x' };

    // Act
    const error = rejection(next, 'deployments.apps', old);

    // Assess
    expect(error.details!.causes).toEqual([
      expect.objectContaining({
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      }),
    ]);
  });
});

describe('ReplicaSet admission', () => {
  it('defaults replicas to 1 and shows replicas 0 in a fresh status', () => {
    // Prepare
    const manifest: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'api', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    };

    // Act
    const rs = admitted('replicasets.apps', manifest) as ReplicaSetObject;

    // Assess
    expect(rs.spec!.replicas).toBe(1);
    expect(rs.status).toEqual({ replicas: 0 });
    expect(rs.spec!.template!.spec!.containers[0].imagePullPolicy).toBe('Always');
  });

  it('rejects a template whose labels the selector does not match', () => {
    // Prepare
    const manifest: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'api', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    };

    // Act
    const error = rejection(manifest, 'replicasets.apps');

    // Assess
    expect(error.message).toBe(
      'ReplicaSet.apps "api" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    );
  });
});
