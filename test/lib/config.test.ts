import { App } from 'aws-cdk-lib';
import { CDK_TEST_OUTDIR } from '../helpers/cdk-outdir';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { loadConfig } from '../../lib/config';

const MINIMAL = { clusterName: 'demo', allowedNamespaces: 'a,b' };

function load(context: Record<string, unknown>) {
  return loadConfig(new App({ context, outdir: CDK_TEST_OUTDIR }).node);
}

function errorOf(context: Record<string, unknown>): ConfigurationError {
  try {
    load(context);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigurationError');
}

describe('loadConfig', () => {
  it('reads command-line strings and fills in the documented defaults', () => {
    // Act
    const config = load({ ...MINIMAL, cooldownSeconds: '600' });

    // Assess
    expect(config).toEqual({
      clusterName: 'demo',
      allowedNamespaces: ['a', 'b'],
      evidenceRetentionDays: 90,
      cooldownSeconds: 600,
      lockTtlSeconds: 3600,
      kubeRequestTimeoutMs: 10000,
      logTailLines: 1000,
      logLimitBytes: 262144,
      dumpMaxBytes: 104857600,
      dumpConcurrency: 4,
      dumpLogs: 'archive',
      rbacGroup: 'eks-incident-response',
      remediationBudget: { cluster: 10, namespace: 5, windowSeconds: 3600 },
      remediationPolicy: { default: {}, namespaces: {}, workloads: {}, timeoutSeconds: 3600 },
      alertTargets: [],
      webhookDefaultNamespace: 'kube-system',
      webhookDryRun: false,
      backupSchedule: 'cron(0 6 * * ? *)',
      backupScheduleTimeZone: 'UTC',
      backupSuccessDigest: false,
    });
  });

  it('reads cdk.json values as they are typed there (lists and numbers)', () => {
    // Act
    const config = load({
      clusterName: 'prod-1',
      region: 'eu-west-1',
      allowedNamespaces: ['one-data-alldata'],
      allowedWorkloads: ['one-data-alldata/Deployment/alldata-api', 'one-data-alldata/*/*'],
      evidenceRetentionDays: 30,
      vpcId: 'vpc-0a1b2c3d',
      subnetIds: ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'],
      securityGroupIds: 'sg-0c1d2e3f',
      clusterEndpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      clusterCaData: 'LS0tLS1CRUdJTg==',
      slackSecretName: 'incident/slack',
    });

    // Assess
    expect(config).toMatchObject({
      region: 'eu-west-1',
      allowedWorkloads: ['one-data-alldata/Deployment/alldata-api', 'one-data-alldata/*/*'],
      evidenceRetentionDays: 30,
      subnetIds: ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'],
      securityGroupIds: ['sg-0c1d2e3f'],
      slackSecretName: 'incident/slack',
    });
  });

  it.each([
    [{ allowedNamespaces: 'a' }, 'clusterName: is required (set with -c clusterName=...)'],
    [{ clusterName: 'demo' }, 'allowedNamespaces: is required'],
    [{ ...MINIMAL, allowedNamespaces: ' , ' }, 'allowedNamespaces: must name at least one namespace'],
    [{ ...MINIMAL, allowedNamespaces: 'Apps' }, 'allowedNamespaces: must be Kubernetes namespace names'],
    [{ ...MINIMAL, evidenceRetentionDays: 'ninety' }, 'evidenceRetentionDays:'],
    [{ ...MINIMAL, cooldownSeconds: '-5' }, 'cooldownSeconds:'],
    [{ ...MINIMAL, region: 'Europe' }, 'region: must be an AWS region'],
    [
      { ...MINIMAL, allowedWorkloads: 'alldata-api' },
      'allowedWorkloads: must be namespace/Kind/name entries',
    ],
    [{ ...MINIMAL, vpcId: 'vpc-0a1b2c3d' }, 'subnetIds: is required with vpcId'],
    [{ ...MINIMAL, subnetIds: 'subnet-0a1b2c3d' }, 'subnetIds: needs vpcId'],
    [{ ...MINIMAL, clusterEndpoint: 'https://x.eks.amazonaws.com' }, 'clusterCaData: clusterEndpoint and'],
    [
      { ...MINIMAL, clusterEndpoint: 'http://x', clusterCaData: 'AA==' },
      'clusterEndpoint: must be an https URL',
    ],
  ])('rejects %j naming the key', (context, expected) => {
    // Act
    const error = errorOf(context);

    // Assess
    expect(error.message).toContain('invalid CDK context: ');
    expect(error.message).toContain(expected);
  });
});
