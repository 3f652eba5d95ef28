import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cachedDefinitions, DEFINITIONS_CACHE_ENV } from '../../lib/definitions-cache';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { synthesizeDefinitions } from '../../lib/synth';

/* The definitions a local run executes come from the disk cache only when nothing they depend on changed. */

const CONTEXT = { clusterName: 'cache-test', allowedNamespaces: 'apps' };

describe('cachedDefinitions', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'definitions-cache-'));
  });
  afterEach(() => {
    delete process.env[DEFINITIONS_CACHE_ENV];
    rmSync(dir, { recursive: true, force: true });
  });

  it('synthesizes on a miss exactly what the stack synthesizes, and reads the same back on a hit', () => {
    // Act
    const first = cachedDefinitions(CONTEXT, { dir });
    const files = readdirSync(dir);
    const second = cachedDefinitions({ allowedNamespaces: 'apps', clusterName: 'cache-test' }, { dir });

    // Assess
    expect(first).toEqual(synthesizeDefinitions(CONTEXT));
    expect(files).toHaveLength(1);
    expect(second).toEqual(first);
    expect(readdirSync(dir)).toEqual(files);
  });

  it('reads a hit from disk, keys another context apart, and synthesizes afresh when switched off', () => {
    // Prepare: the cached definition marked, so that reading it back shows.
    cachedDefinitions(CONTEXT, { dir });
    const [file] = readdirSync(dir);
    const cached = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { incidentResponse: object };
    writeFileSync(
      path.join(dir, file),
      JSON.stringify({
        ...cached,
        incidentResponse: { ...cached.incidentResponse, Comment: 'from the cache' },
      }),
    );

    // Act
    const hit = cachedDefinitions(CONTEXT, { dir });
    const other = cachedDefinitions({ ...CONTEXT, clusterName: 'another' }, { dir });
    process.env[DEFINITIONS_CACHE_ENV] = '0';
    const switchedOff = cachedDefinitions(CONTEXT, { dir });

    // Assess
    expect(hit.incidentResponse.Comment).toBe('from the cache');
    expect(other.incidentResponse.Comment).not.toBe('from the cache');
    expect(readdirSync(dir)).toHaveLength(2);
    expect(switchedOff.incidentResponse.Comment).not.toBe('from the cache');
  });

  it('never caches bad context: it fails with the configuration error each time', () => {
    // Act
    const attempt = () => cachedDefinitions({ clusterName: 'cache-test' }, { dir });

    // Assess
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/allowedNamespaces: is required/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
