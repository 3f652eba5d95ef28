'use strict';
// A function's index.js: loads its bundle (bundle.js, CommonJS) with the V8 code cache made for
// it at build time (lib/bundling/make-v8-cache.mjs), so a cold start deserializes the bytecode
// instead of compiling 1-3 MB of JavaScript. Plain JavaScript, no dependency: it is shipped as is.
//
// The cache is only ever an optimization. It is looked up by a checksum of the bundle's text
// (a cache made for another build is never found) and its own payload checksum is verified
// before V8 sees it; V8 then rejects it unless its own version, CPU architecture and flags (Lambda
// sets --max-old-space-size and others from the memory size) are those it was made with. In every
// one of these cases the bundle is compiled from source as without a cache. Nothing is written:
// /var/task is read-only.
//
// Stack traces: Node's --enable-source-maps does not apply to code compiled by node:vm (and
// parses the whole map at every cold start), so the bundle's frames are mapped here, reading the
// source map only when a stack trace is first formatted.
const { isAscii } = require('node:buffer');
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join, resolve } = require('node:path');
const vm = require('node:vm');
const { crc32 } = require('node:zlib');

const BUNDLE = join(__dirname, 'bundle.js');
const SOURCE_MAP = `${BUNDLE}.map`;

/** `bundle.js.<crc32 of its bytes>.v8cache`: the name make-v8-cache.mjs gives the cache of that text. */
function cacheFile(bytes) {
  return `${BUNDLE}.${crc32(bytes).toString(16).padStart(8, '0')}.v8cache`;
}

/** The cache's payload when it is there and intact (its first 4 bytes: the crc32 of the rest). */
function readCache(bytes) {
  let file;
  try {
    file = readFileSync(cacheFile(bytes));
  } catch {
    return undefined;
  }
  if (file.length < 5) return undefined;
  const payload = file.subarray(4);
  return file.readUInt32BE(0) === crc32(payload) ? payload : undefined;
}

let sourceMap;
/** The bundle's source map, read at the first stack trace that shows one of its frames. */
function bundleSourceMap() {
  if (sourceMap === undefined) {
    try {
      sourceMap = new Module.SourceMap(JSON.parse(readFileSync(SOURCE_MAP, 'utf8')));
    } catch {
      sourceMap = null;
    }
  }
  return sourceMap;
}

/** Module.wrap puts the function's head on the bundle's first line: its columns are shifted. */
const WRAPPER_HEAD = Module.wrapper[0].length;

/** A frame of the bundle as V8 prints it, its position replaced by the original source's. */
function mappedFrame(frame) {
  const text = frame.toString();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  const map = frame.getFileName() === BUNDLE && line && column ? bundleSourceMap() : null;
  const entry = map?.findEntry(line - 1, column - 1 - (line === 1 ? WRAPPER_HEAD : 0));
  if (!entry?.originalSource) return text;
  const original = resolve(dirname(SOURCE_MAP), entry.originalSource.replace(/^file:\/\//, ''));
  return text.replace(
    `${BUNDLE}:${line}:${column}`,
    `${original}:${entry.originalLine + 1}:${entry.originalColumn + 1}`,
  );
}

Error.prepareStackTrace = (error, frames) => {
  let head;
  try {
    head = Error.prototype.toString.call(error);
  } catch {
    head = '<error>';
  }
  return [head, ...frames.map((frame) => `    at ${mappedFrame(frame)}`)].join('\n');
};

// Read as bytes: their crc32 is cheap where a string's needs it encoded again. An ASCII bundle
// (the build keeps it so) decodes as latin1, a plain copy into the one-byte string V8 wants.
const bytes = readFileSync(BUNDLE);
const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
const cachedData = readCache(bytes);
const script = new vm.Script(Module.wrap(source), {
  filename: BUNDLE,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const bundleModule = { exports: {}, filename: BUNDLE, id: BUNDLE, loaded: false };
script.runInThisContext()(
  bundleModule.exports,
  Module.createRequire(BUNDLE),
  bundleModule,
  BUNDLE,
  __dirname,
);
bundleModule.loaded = true;
module.exports = bundleModule.exports;
// For the tests and the bench: whether V8 took the cache (none found, or rejected, otherwise).
if (process.env.EKS_INCIDENT_V8_CACHE_REPORT)
  process.stderr.write(`v8-cache: ${cachedData && !script.cachedDataRejected ? 'used' : 'not used'}\n`);
