import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ApprovalStore } from '../shared/approval/approval-store';
import { secretValue } from '../shared/approval/secret-value';
import { approvalEnv, parseEnv } from '../shared/env';
import { isTransient } from '../intake/errors';
import type { HttpAnswer } from '../intake/http';
import { functionLogger } from '../shared/observability/observed-handler';
import { perContainer } from '../shared/per-container';
import { approvalRoutes, type ApprovalRouteDeps } from './approval-routes';
import { approvalRequestOf, notFound, type HttpApiV2Event } from './http-api-event';
import { sfnTaskAnswer } from './task-answer';

const log = functionLogger();

const dependencies = perContainer<ApprovalRouteDeps>(async () => {
  const env = parseEnv(approvalEnv);
  const secrets = new SecretsManagerClient({});
  // Both at once: Slack gives the whole round trip three seconds, a cold start included.
  const [linkSecret, slackSigningSecret] = await Promise.all([
    secretValue(secrets, env.APPROVAL_LINK_SECRET_ARN),
    env.SLACK_SIGNING_SECRET_ARN ? secretValue(secrets, env.SLACK_SIGNING_SECRET_ARN) : undefined,
  ]);
  return {
    store: new ApprovalStore(new S3Client({}), env.EVIDENCE_BUCKET),
    linkSecret,
    slackSigningSecret,
    now: () => new Date(),
    deliver: sfnTaskAnswer(new SFNClient({})),
    log,
  };
});

/**
 * API Gateway HTTP API → the approval routes `serve` also serves (lambdas/approval/approval-routes.ts)
 * → SendTaskSuccess to the waiting execution. The operator route of `serve` has no token here,
 * so it answers 404.
 */
export const handler = async (
  event: HttpApiV2Event,
  context?: Parameters<typeof log.addContext>[0],
): Promise<HttpAnswer> => {
  // The request id and cold start on each entry, as the intake logs them.
  if (context) log.addContext(context);
  let deps: ApprovalRouteDeps;
  try {
    deps = await dependencies();
  } catch (error) {
    log.error('the approval routes could not start', { error });
    return {
      statusCode: isTransient(error) ? 503 : 500,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'unavailable\n',
    };
  }
  try {
    return (await approvalRoutes(approvalRequestOf(event), deps)) ?? notFound();
  } catch (error) {
    log.error('approval request failed', { error });
    return {
      statusCode: isTransient(error) ? 503 : 500,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'internal error\n',
    };
  }
};
