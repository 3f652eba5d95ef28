import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SynthesizedDefinitions } from './synth';

/*
 * Synthesizing the stack costs seconds (loading aws-cdk-lib, building the construct tree, cdk-nag),
 * and every local run, rehearsal and flow test needs the same few definitions. They are kept on
 * disk, keyed by the context and by the content of every file the synthesis reads (the stack's
 * code, the handlers' environment schemas, cdk.json's feature flags, the locked dependency
 * versions), so a changed line anywhere in them synthesizes afresh. A hit never loads aws-cdk-lib.
 */

const PROJECT_ROOT = path.resolve(__dirname, '..');
/** Where a synthesis can look: the stack's code and everything it imports from the handlers. */
const SOURCE_DIRS = ['lib', 'lambdas'];
const SOURCE_FILES = ['cdk.json', 'package-lock.json'];
/** Set to `0` to synthesize every time (e.g. while changing how the stack is built). */
export const DEFINITIONS_CACHE_ENV = 'EKS_INCIDENT_DEFINITIONS_CACHE';
export const DEFAULT_DEFINITIONS_CACHE_DIR = path.join(
  PROJECT_ROOT,
  'node_modules',
  '.cache',
  'eks-incident-response',
  'definitions',
);

let fingerprint: string | undefined;

function addTree(hash: ReturnType<typeof createHash>, dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) addTree(hash, file);
    else if (/\.(ts|json)$/.test(entry.name)) addFile(hash, file);
  }
}

function addFile(hash: ReturnType<typeof createHash>, file: string): void {
  hash.update(`${path.relative(PROJECT_ROOT, file)}\0`);
  hash.update(readFileSync(file));
  hash.update('\0');
}

/** A digest of every input of a synthesis other than its context; computed once per process. */
export function sourceFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  for (const dir of SOURCE_DIRS) addTree(hash, path.join(PROJECT_ROOT, dir));
  for (const file of SOURCE_FILES) addFile(hash, path.join(PROJECT_ROOT, file));
  fingerprint = hash.digest('hex');
  return fingerprint;
}

/** Key order does not matter: `{a, b}` and `{b, a}` are one context. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * `synthesizeDefinitions(context)`, from the disk cache when this context was synthesized from
 * the same sources before. Bad context is never cached: it throws the same ConfigurationError.
 */
export function cachedDefinitions(
  context: Record<string, unknown>,
  options: { dir?: string } = {},
): SynthesizedDefinitions {
  const synthesize = () =>
    // Loaded on a miss only: not loading aws-cdk-lib is what a hit saves.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./synth') as typeof import('./synth')).synthesizeDefinitions(context);
  if (process.env[DEFINITIONS_CACHE_ENV] === '0') return synthesize();

  const dir = options.dir ?? DEFAULT_DEFINITIONS_CACHE_DIR;
  const key = createHash('sha256')
    .update(sourceFingerprint())
    .update(JSON.stringify(canonical(context)))
    .digest('hex');
  const file = path.join(dir, `${key}.json`);
  try {
    if (statSync(file).isFile()) return JSON.parse(readFileSync(file, 'utf8')) as SynthesizedDefinitions;
  } catch {
    // Not cached yet (or unreadable): synthesize.
  }
  const definitions = synthesize();
  try {
    mkdirSync(dir, { recursive: true });
    // Written whole, then renamed: a parallel reader never sees half a file.
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(definitions));
    renameSync(temporary, file);
  } catch {
    // A read-only tree only loses the speed-up.
  }
  return definitions;
}
