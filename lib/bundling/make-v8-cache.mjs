// The afterBundling step of every function (lib/constructs/function-defaults.ts): turns the
// esbuild output of a directory (index.js, CommonJS, and its source map) into the package Lambda
// runs: the bundle as bundle.js, v8-cache-loader.cjs as index.js, and the V8 code cache of the
// bundle, made by this Node in a child started with the V8 flags Lambda's runtime gives the
// function (they are part of what V8 checks before it takes a cache).
//
//   node make-v8-cache.mjs <output directory> [V8 flag...]
//
// Plain JavaScript: CDK runs it as a shell command while it bundles, outside the project's loader.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';

/** The Node.js major of the functions' runtime (nodejs24.x): a cache from another major is useless. */
const RUNTIME_MAJOR = 24;
const HERE = dirname(fileURLToPath(import.meta.url));
/** Where the bundle is on Lambda: the function's package is unpacked into /var/task. */
const LAMBDA_BUNDLE = '/var/task/bundle.js';

/** Compiles and runs bundle.js as the loader does, then writes what V8 compiled, checksummed. */
function produce(directory) {
  const bundle = join(directory, 'bundle.js');
  const source = readFileSync(bundle, 'utf8');
  // The same wrapper and options as v8-cache-loader.cjs: V8 takes a cache only for the same text.
  const script = new vm.Script(Module.wrap(source), {
    // The script's name goes into the cache: Lambda's path, not this directory's (which differs
    // from synth to synth), so that the cache is the same bytes wherever it is made.
    filename: LAMBDA_BUNDLE,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const bundleModule = { exports: {} };
  // Run, so the cache also holds the functions the bundle compiles while it loads.
  script.runInThisContext()(
    bundleModule.exports,
    Module.createRequire(bundle),
    bundleModule,
    bundle,
    directory,
  );
  const payload = script.createCachedData();
  const header = Buffer.alloc(4);
  header.writeUInt32BE(crc32(payload));
  const name = `${bundle}.${crc32(source).toString(16).padStart(8, '0')}.v8cache`;
  writeFileSync(`${name}.tmp`, Buffer.concat([header, payload]));
  renameSync(`${name}.tmp`, name);
}

function pack(directory, v8Flags) {
  const index = join(directory, 'index.js');
  const bundle = join(directory, 'bundle.js');
  const text = readFileSync(index, 'utf8').replace(
    /\/\/# sourceMappingURL=index\.js\.map\s*$/,
    '//# sourceMappingURL=bundle.js.map\n',
  );
  writeFileSync(bundle, text);
  if (existsSync(`${index}.map`)) renameSync(`${index}.map`, `${bundle}.map`);
  if (existsSync(`${index}.LEGAL.txt`)) renameSync(`${index}.LEGAL.txt`, `${bundle}.LEGAL.txt`);
  copyFileSync(join(HERE, 'v8-cache-loader.cjs'), index);

  const major = Number(process.versions.node.split('.')[0]);
  if (major !== RUNTIME_MAJOR) {
    process.stderr.write(
      `make-v8-cache: Node ${process.version} is not the runtime's Node ${RUNTIME_MAJOR}; ${directory} ships without a V8 cache\n`,
    );
    return;
  }
  // --predictable (one thread, fixed seeds) makes the cache the same bytes at every synth, so the
  // asset's hash, and with it the deployment, changes only when the code does; V8 leaves it out of
  // the flags it checks, so the runtime, started without it, still takes the cache.
  const child = spawnSync(
    process.execPath,
    [...v8Flags, '--predictable', fileURLToPath(import.meta.url), '--produce', directory],
    {
      cwd: directory,
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    },
  );
  if (child.status !== 0)
    throw new Error(`make-v8-cache: loading ${bundle} to make its V8 cache failed:\n${child.stderr}`);
}

const [first, ...rest] = process.argv.slice(2);
if (first === '--produce') produce(rest[0]);
else pack(first, rest);
