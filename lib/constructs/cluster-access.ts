import { Stack } from 'aws-cdk-lib';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DEFAULT_RBAC_GROUP } from '../../lambdas/shared/rbac';
import { stepGroup, type KubernetesStep } from '../../lambdas/shared/kubernetes/step-access';

export interface ClusterAccessProps {
  /** The EKS cluster, whose authentication mode must be `API` or `API_AND_CONFIG_MAP`. */
  readonly clusterName: string;
  /**
   * Roles of the functions that talk to Kubernetes, by construct id: every role gets an access
   * entry that maps it to its step's own Kubernetes group.
   */
  readonly roles: Record<string, { step: KubernetesStep; role: Role }>;
  /**
   * The prefix of the Kubernetes groups the access entries map the roles to (`<prefix>:<step>`);
   * the RBAC from `rbacManifest(prefix, namespaces)` (lambdas/shared/rbac.ts) binds each.
   * @default 'eks-incident-response'
   */
  readonly kubernetesGroup?: string;
  /**
   * Grant eks:DescribeCluster, which the functions call at cold start to find the endpoint and
   * CA when the stack was not given them.
   * @default true
   */
  readonly describeCluster?: boolean;
}

/**
 * How the functions get into the cluster: an EKS access entry per role (type STANDARD) that
 * puts it in its step's own Kubernetes group, and nothing else. What that group may do is Kubernetes RBAC,
 * generated from the rule list in lambdas/shared/rbac.ts and applied by the cluster's admin
 * (`npx eks-incident rbac`), because CloudFormation cannot reach into an existing cluster's
 * API without a kubectl provider that would need cluster-admin itself.
 */
export class ClusterAccess extends Construct {
  readonly kubernetesGroup: string;
  readonly clusterArn: string;
  private readonly clusterName: string;
  private readonly describeCluster: boolean;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    this.kubernetesGroup = props.kubernetesGroup ?? DEFAULT_RBAC_GROUP;
    this.clusterArn = Stack.of(this).formatArn({
      service: 'eks',
      resource: 'cluster',
      resourceName: props.clusterName,
    });
    this.clusterName = props.clusterName;
    this.describeCluster = props.describeCluster ?? true;
    for (const [id, { step, role }] of Object.entries(props.roles)) this.addRole(id, step, role);
  }

  /** Gives one more function's role its step's access (for constructs built after this one). */
  addRole(id: string, step: KubernetesStep, role: Role): void {
    new CfnAccessEntry(this, id, {
      clusterName: this.clusterName,
      principalArn: role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: [stepGroup(this.kubernetesGroup, step)],
    });
    if (this.describeCluster) {
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [this.clusterArn] }),
      );
    }
  }
}
