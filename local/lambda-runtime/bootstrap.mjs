// The runtime interface client's loop, in plain Node with no dependency, for
// local/lambda-runtime/runtime-api.ts: what aws-lambda-ric does around a handler, minus its
// native HTTP client. It loads `LAMBDA_TASK_ROOT/<file>.mjs` (or .js), then for each event from
// the Runtime API calls the handler with (event, context) and posts the answer or the error.
// Plain JavaScript because it runs in a bare `node`, as a Lambda runtime does: no loader.
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new Agent({ keepAlive: true });

/** One Runtime API call over node:http (already in Node's snapshot, unlike fetch). */
function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path: `/2018-06-01/runtime${path}`, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
const handlerSetting = process.argv[2] ?? process.env._HANDLER;
const dot = handlerSetting.lastIndexOf('.');
const [file, name] = [handlerSetting.slice(0, dot), handlerSetting.slice(dot + 1)];

function errorBody(error) {
  return JSON.stringify({
    errorType: error?.name ?? 'Error',
    errorMessage: error?.message ?? String(error),
    stackTrace: typeof error?.stack === 'string' ? error.stack.split('\n') : [],
  });
}

let handler;
try {
  const root = process.env.LAMBDA_TASK_ROOT;
  const path = ['.mjs', '.js', '.cjs'].map((ext) => join(root, file + ext)).find((p) => existsSync(p));
  if (!path)
    throw Object.assign(new Error(`Cannot find module '${file}'`), { name: 'Runtime.ImportModuleError' });
  // As the runtime interface client loads it: a .js file in a package without "type": "module"
  // (the functions' index.js) through require, so its module.exports are the exports; .mjs
  // through import.
  const loaded = path.endsWith('.mjs') ? await import(pathToFileURL(path).href) : createRequire(path)(path);
  handler = loaded[name];
  if (typeof handler !== 'function')
    throw Object.assign(new Error(`${handlerSetting} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
} catch (error) {
  await call('POST', '/init/error', errorBody(error));
  process.exit(1);
}

for (;;) {
  const next = await call('GET', '/invocation/next');
  const requestId = next.headers['lambda-runtime-aws-request-id'];
  const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
  process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'] ?? '';
  const event = JSON.parse(next.text);
  const context = {
    awsRequestId: requestId,
    invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  try {
    const result = await handler(event, context);
    await call('POST', `/invocation/${requestId}/response`, JSON.stringify(result ?? null));
  } catch (error) {
    await call('POST', `/invocation/${requestId}/error`, errorBody(error), {
      'lambda-runtime-function-error-type': error?.name ?? 'Error',
    });
  }
}
