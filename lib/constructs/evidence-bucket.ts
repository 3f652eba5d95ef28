import { APPROVALS_PREFIX } from '../../lambdas/shared/approval/approval-store';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  CfnBucket,
  ObjectOwnership,
  type LifecycleRule,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The key prefixes of design §4's evidence layout. */
export const INCIDENTS_PREFIX = 'incidents/';
export const BACKUP_VERIFICATION_PREFIX = 'backup-verification/';

export interface EvidenceBucketProps {
  /**
   * Days before objects under `incidents/` and `backup-verification/` expire.
   * @default 90
   */
  readonly retentionDays?: number;
  /**
   * Days an overwritten or deleted version (a rewritten manifest, say) is kept.
   * @default 30
   */
  readonly noncurrentVersionDays?: number;
}

/**
 * Where every incident's evidence goes: diagnostics, events, logs, cluster dumps, reports.
 *
 * Encryption is SSE-KMS with the AWS-managed `aws/s3` key rather than SSE-S3: the bundles hold
 * pod logs and cluster state, and with KMS every read of an object is a Decrypt call in
 * CloudTrail, an audit trail of who looked at the evidence. The AWS-managed key needs no key
 * policy or grants (it serves every principal of the account that S3 lets through), and the
 * few objects per incident keep the KMS request cost negligible. S3 bucket keys stay off, as
 * they would collapse those per-object audit events. The access-log bucket uses SSE-S3: S3
 * server access logging cannot deliver to an SSE-KMS bucket.
 *
 * Versioned, so a rewritten manifest or report keeps its earlier versions for
 * `noncurrentVersionDays`; TLS-only; no public access; server access logs go to a second bucket.
 */
export class EvidenceBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: EvidenceBucketProps = {}) {
    super(scope, id);
    const retention = Duration.days(props.retentionDays ?? 90);
    const noncurrent = Duration.days(props.noncurrentVersionDays ?? 30);
    const tidy: LifecycleRule = {
      id: 'tidy-versions-and-uploads',
      noncurrentVersionExpiration: noncurrent,
      abortIncompleteMultipartUploadAfter: Duration.days(1),
      expiredObjectDeleteMarker: true,
    };

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: retention }, tidy],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the destination of the evidence bucket server access logs; logging access ' +
        'to the log bucket itself would need a third bucket and so on.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.KMS_MANAGED,
      bucketKeyEnabled: false,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'evidence/',
      lifecycleRules: [
        { id: 'expire-incidents', prefix: INCIDENTS_PREFIX, expiration: retention },
        { id: 'expire-backup-verification', prefix: BACKUP_VERIFICATION_PREFIX, expiration: retention },
        tidy,
      ],
    });
  }

  /**
   * Lets a function read and write objects under `incidents/` (and list that prefix: without
   * s3:ListBucket, S3 answers a read of a key that does not exist yet with 403 instead of 404).
   */
  grantIncidentEvidence(role: Role, access: 'write' | 'read-write'): void {
    this.grantPrefix(
      role,
      INCIDENTS_PREFIX,
      access,
      'Evidence keys are per incident (incidents/YYYY/MM/DD/<id>/...) and only known at run time; ' +
        'the incidents/ prefix is the narrowest static scope.',
    );
  }

  /** Lets the notify step store approval requests (and read them back) under `approvals/`. */
  grantApprovals(role: Role): void {
    this.grantPrefix(
      role,
      APPROVALS_PREFIX,
      'read-write',
      'Approval requests are per incident (approvals/<incident-id>/<action>.json), only known at run time; ' +
        'the approvals/ prefix is the narrowest static scope.',
    );
  }

  /** Lets the backup-verification report step write (and manifest) its reports under `backup-verification/`. */
  grantBackupReports(role: Role): void {
    this.grantPrefix(
      role,
      BACKUP_VERIFICATION_PREFIX,
      'read-write',
      'Report keys are per run (backup-verification/YYYY/MM/DD/<run-id>/...) and only known at run time; ' +
        'the backup-verification/ prefix is the narrowest static scope.',
    );
  }

  private grantPrefix(role: Role, prefix: string, access: 'write' | 'read-write', reason: string): void {
    const objects = this.bucket.arnForObjects(`${prefix}*`);
    const actions = ['s3:PutObject', 's3:AbortMultipartUpload'];
    if (access === 'read-write') actions.push('s3:GetObject');
    role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [objects] }));
    if (access === 'read-write') {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': `${prefix}*` } },
        }),
      );
    }
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
      reason,
    });
  }
}
