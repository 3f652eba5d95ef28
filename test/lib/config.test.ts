import { App } from 'aws-cdk-lib';
import { CDK_TEST_OUTDIR } from '../support/cdk-outdir';
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
  it('takes the Alertmanager auth secret with the Alertmanager URL', () => {
    // Act
    const config = load({
      ...MINIMAL,
      alertmanagerUrl: 'https://alertmanager.monitoring.svc:9093',
      alertmanagerAuthSecretName: 'incident/alertmanager-auth',
    });

    // Assess
    expect(config.alertmanagerAuthSecretName).toBe('incident/alertmanager-auth');
  });

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
      logLevel: 'INFO',
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
      logLevel: 'debug',
    });

    // Assess
    expect(config).toMatchObject({
      logLevel: 'DEBUG',
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
    [{ ...MINIMAL, logLevel: 'verbose' }, 'logLevel:'],
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
    [
      { ...MINIMAL, alertmanagerAuthSecretName: 'incident/alertmanager' },
      'alertmanagerAuthSecretName: needs alertmanagerUrl',
    ],
    [
      { ...MINIMAL, alertmanagerUrl: 'http://am:9093', alertmanagerAuthSecretName: 'has spaces' },
      'alertmanagerAuthSecretName: must be a Secrets Manager secret name',
    ],
    [{ ...MINIMAL, slackSigningSecretName: 'slack signing' }, 'slackSigningSecretName: must be a Secrets'],
  ])('rejects %j naming the key', (context, expected) => {
    // Act
    const error = errorOf(context);

    // Assess
    expect(error.message).toContain('invalid CDK context: ');
    expect(error.message).toContain(expected);
  });
});
