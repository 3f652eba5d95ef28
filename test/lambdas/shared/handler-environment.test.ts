import { awsClientConfig } from '../../../lambdas/shared/handler-environment';

/*
 * A handler built from an explicit environment (the local engine's) must reach what that
 * environment names, as the SDK would read the same variables from process.env on Lambda.
 */

describe('awsClientConfig', () => {
  it("reads the region, the service's own endpoint before the shared one, and the credentials", () => {
    // Prepare
    const environment = {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1000',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2000',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    };

    // Act
    const s3 = awsClientConfig(environment, 'S3');
    const sns = awsClientConfig(environment, 'SNS');

    // Assess
    expect(s3).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:2000',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: 'token' },
    });
    expect(sns.endpoint).toBe('http://127.0.0.1:1000');
  });

  it("leaves to the SDK's own chain what the environment does not set (a user's profile, AWS itself)", () => {
    // Act
    const settings = awsClientConfig({ AWS_REGION: 'us-east-2' }, 'SFN');

    // Assess
    expect(settings).toEqual({ region: 'us-east-2' });
  });
});
