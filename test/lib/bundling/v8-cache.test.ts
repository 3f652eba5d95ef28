import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { lambdaV8Flags } from '../../../lib/bundling/lambda-v8-flags';

/**
 * The V8-cache package (lib/bundling) on a small bundle made as the functions' are (esbuild,
 * CommonJS, minified, source map without sources, then make-v8-cache.mjs): the cache is taken
 * when the runtime matches, and every other case (another runtime's flags, a damaged cache, a
 * cache of another build, a read-only package) loads the same code from source with the same
 * result. Each case is a fresh Node 24 process, as a cold start is.
 */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const MAKE_V8_CACHE = path.join(PROJECT_ROOT, 'lib', 'bundling', 'make-v8-cache.mjs');
const FLAGS = lambdaV8Flags(256);
// The throw is on line 3: the stack trace test expects it there.
const FIXTURE = `export function handler(event: { fail?: boolean }): { doubled: number[] } {
  if (event.fail) {
    throw new Error('asked to fail');
  }
  return { doubled: [1, 2, 3].map((n) => n * 2) };
}
`;

let scratch: string;
let packaged: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'v8-cache-'));
  writeFileSync(path.join(scratch, 'fixture.ts'), FIXTURE);
  packaged = path.join(scratch, 'package');
  buildSync({
    entryPoints: [path.join(scratch, 'fixture.ts')],
    outfile: path.join(packaged, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'error',
  });
  const made = spawnSync(process.execPath, [MAKE_V8_CACHE, packaged, ...FLAGS], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
});

afterAll(async () => {
  if (scratch) {
    chmodSync(scratch, 0o755);
    await rm(scratch, { recursive: true, force: true });
  }
});

/** A copy of the package to damage, or to make read-only. */
function copyOfPackage(name: string): string {
  const copy = path.join(scratch, name);
  cpSync(packaged, copy, { recursive: true });
  return copy;
}

function cacheFileOf(directory: string): string {
  return path.join(
    directory,
    readdirSync(directory).find((file) => file.endsWith('.v8cache'))!,
  );
}

/** The package's handler called once in a fresh Node started with `flags`. */
function coldCall(directory: string, flags: string[], event: object = {}) {
  const script = [
    `const { handler } = require(${JSON.stringify(path.join(directory, 'index.js'))});`,
    `try { console.log(JSON.stringify(handler(${JSON.stringify(event)}))); }`,
    'catch (error) { console.log(JSON.stringify({ stack: error.stack })); }',
  ].join('\n');
  const result = spawnSync(process.execPath, [...flags, '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, EKS_INCIDENT_V8_CACHE_REPORT: '1' },
  });
  return {
    status: result.status,
    cache: /^v8-cache: (.*)$/m.exec(result.stderr)?.[1],
    answer: result.status === 0 ? (JSON.parse(result.stdout) as unknown) : result.stderr,
  };
}

const ANSWER = { doubled: [2, 4, 6] };

describe('a function package with its V8 cache', () => {
  it('holds the bundle as bundle.js behind the loader, its source map and a cache named after its text', () => {
    // Assess
    expect(readdirSync(packaged).sort()).toEqual([
      'bundle.js',
      expect.stringMatching(/^bundle\.js\.[0-9a-f]{8}\.v8cache$/),
      'bundle.js.map',
      'index.js',
    ]);
    expect(readFileSync(path.join(packaged, 'bundle.js'), 'utf8')).toMatch(
      /\/\/# sourceMappingURL=bundle\.js\.map\n$/,
    );
  });

  it('gets the same cache, byte for byte, when made again (the asset hash follows the code alone)', () => {
    // Prepare
    const again = path.join(scratch, 'again');
    cpSync(path.join(packaged, 'bundle.js.map'), path.join(again, 'index.js.map'));
    writeFileSync(
      path.join(again, 'index.js'),
      readFileSync(path.join(packaged, 'bundle.js'), 'utf8').replace(
        'sourceMappingURL=bundle.js.map',
        'sourceMappingURL=index.js.map',
      ),
    );

    // Act
    const made = spawnSync(process.execPath, [MAKE_V8_CACHE, again, ...FLAGS], { encoding: 'utf8' });

    // Assess
    expect(made.status).toBe(0);
    expect(readFileSync(cacheFileOf(again))).toEqual(readFileSync(cacheFileOf(packaged)));
  });

  it('is run from its cache when node has the V8 flags it was made under', () => {
    // Act
    const call = coldCall(packaged, FLAGS);

    // Assess
    expect(call).toEqual({ status: 0, cache: 'used', answer: ANSWER });
  });

  it('compiles from source, with the same result, when V8 rejects the cache (another runtime)', () => {
    // Act: other V8 flags change V8's cache check as another V8 version or CPU would
    const call = coldCall(packaged, lambdaV8Flags(1024));

    // Assess
    expect(call).toEqual({ status: 0, cache: 'not used', answer: ANSWER });
  });

  it('never hands V8 a damaged cache', () => {
    // Prepare
    const damaged = copyOfPackage('damaged');
    const cacheFile = cacheFileOf(damaged);
    const bytes = readFileSync(cacheFile);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(cacheFile, bytes);

    // Act
    const call = coldCall(damaged, FLAGS);

    // Assess
    expect(call).toEqual({ status: 0, cache: 'not used', answer: ANSWER });
  });

  it('does not take the cache of another build of the bundle', () => {
    // Prepare: the same length, other code (V8 itself only compares the length of the source)
    const rebuilt = copyOfPackage('rebuilt');
    const bundle = path.join(rebuilt, 'bundle.js');
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('*2', '*3'));

    // Act
    const call = coldCall(rebuilt, FLAGS);

    // Assess
    expect(call).toEqual({ status: 0, cache: 'not used', answer: { doubled: [3, 6, 9] } });
  });

  it('loads from a read-only package (/var/task) and writes nothing to it', () => {
    // Prepare
    const readOnly = copyOfPackage('read-only');
    const listing = () =>
      readdirSync(readOnly).map((file) => [file, statSync(path.join(readOnly, file)).mtimeMs]);
    for (const file of readdirSync(readOnly)) chmodSync(path.join(readOnly, file), 0o444);
    chmodSync(readOnly, 0o555);
    const before = listing();

    // Act
    const call = coldCall(readOnly, FLAGS);

    // Assess
    expect(call).toEqual({ status: 0, cache: 'used', answer: ANSWER });
    expect(listing()).toEqual(before);
  });

  it("maps the bundle's stack frames to the original source", () => {
    // Act
    const call = coldCall(packaged, FLAGS, { fail: true });

    // Assess
    const { stack } = call.answer as { stack: string };
    expect(stack.split('\n')[0]).toBe('Error: asked to fail');
    expect(stack.split('\n')[1]).toMatch(/^ {4}at .*fixture\.ts:3:\d+\)?$/);
  });
});
