import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * AWS services that fauxqs does not emulate (Step Functions, Secrets Manager), as the AWS SDK
 * calls them: the AWS JSON protocol over HTTP, the operation named by the X-Amz-Target header
 * (`AWSStepFunctions.StartExecution`, `secretsmanager.GetSecretValue`). Each user gives the
 * answers it needs per operation; every call is recorded, and an operation nobody answers is an
 * UnknownOperationException, so a call the stub does not expect fails loudly.
 */

/** One request as the stub received it. */
export interface AwsJsonCall {
  /** The operation, e.g. `StartExecution` (the X-Amz-Target after its service prefix). */
  action: string;
  body: Record<string, unknown>;
}

/** An HTTP status and the JSON body: `[200, {...}]`, or `[400, { __type, message }]` for an error. */
export type AwsJsonAnswer = [status: number, payload: unknown];

/** Answers one operation from the request's JSON body (its fields as the SDK sends them). */
export type AwsJsonOperation = (body: Record<string, string>) => AwsJsonAnswer;

export interface AwsJsonStub {
  readonly server: Server;
  /** What `AWS_ENDPOINT_URL_SFN` / `AWS_ENDPOINT_URL_SECRETS_MANAGER` point at. */
  readonly url: string;
  /** Every call, in arrival order. */
  readonly calls: AwsJsonCall[];
  close(): Promise<void>;
}

export async function startAwsJsonStub(operations: Record<string, AwsJsonOperation>): Promise<AwsJsonStub> {
  const calls: AwsJsonCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.slice(target.indexOf('.') + 1);
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, string>;
      calls.push({ action, body });
      const operation = operations[action];
      const [status, payload] = operation
        ? operation(body)
        : [400, { __type: 'UnknownOperationException', message: target }];
      // Step Functions speaks awsJson1_0 and Secrets Manager awsJson1_1: answer in the request's own.
      res.writeHead(status, { 'content-type': req.headers['content-type'] ?? 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
