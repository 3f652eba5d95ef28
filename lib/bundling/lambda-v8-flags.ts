/**
 * The V8 flags the Lambda Node.js runtime starts `node` with for a function of `memorySize` MB:
 * its bootstrap (/var/runtime/bootstrap) gives a tenth of the memory to the young generation and
 * the rest to the old one, and exposes gc. They matter beyond memory: V8 takes a code cache only
 * when made under the same flags, so lib/bundling/make-v8-cache.mjs makes each function's cache
 * under these, and local/lambda-runtime starts the bundles with them, as Lambda does.
 */
export function lambdaV8Flags(memorySize: number): string[] {
  const newSpace = Math.floor(memorySize / 10);
  return [
    '--expose-gc',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memorySize - newSpace}`,
  ];
}
