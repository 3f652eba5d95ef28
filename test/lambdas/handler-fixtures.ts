import { REGION, type LocalAws } from '../support/aws';

/**
 * What the handler tests share: each runs a handler as Lambda does, configuration from the
 * environment only and AWS endpoints through the SDK's standard AWS_ENDPOINT_URL.
 */

/**
 * Returns a setter of the Lambda's environment (on top of the test process's, AWS pointing at
 * `aws`), and restores the test process's environment after each test.
 */
export function useLambdaEnvironment(aws: () => LocalAws): (variables: Record<string, string>) => void {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  return (variables) => {
    process.env = {
      ...saved,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: aws().server.address,
      ...variables,
    };
  };
}

/**
 * A handler module as a fresh Lambda container loads it (nothing cached from another test).
 * `path` is resolved from this directory, test/lambdas/.
 */
export function coldStart<T extends object>(path: string): T {
  let module: T | undefined;
  jest.isolateModules(() => {
    module = jest.requireActual<T>(path);
  });
  return module!;
}
