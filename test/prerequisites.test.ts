import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ALERTMANAGER, missingLine, missingPrerequisites } from './support/system-tools';

/* Issue 10, class 9: a fresh machine hears what `npm test` needs in one line, before any suite. */

const ROOT = join(__dirname, '..');

describe('the prerequisites check', () => {
  let bin: string;

  beforeAll(() => {
    // A PATH with node (the script's interpreter) and nothing else.
    bin = mkdtempSync(join(tmpdir(), 'prerequisites-'));
    symlinkSync(process.execPath, join(bin, 'node'));
  });

  afterAll(() => {
    rmSync(bin, { recursive: true, force: true });
  });

  it.each([
    ['nothing installed', false, false, ['kubectl', 'prometheus-alertmanager']],
    ['only kubectl', true, false, ['prometheus-alertmanager']],
    ['only Alertmanager', false, true, ['kubectl']],
    ['both', true, true, []],
  ])('with %s, names exactly what is missing', (_case, kubectl, alertmanager, missing) => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'prerequisites-case-'));
    if (kubectl) symlinkSync(process.execPath, join(dir, 'kubectl'));
    const am = alertmanager ? process.execPath : join(dir, 'no-alertmanager');

    try {
      // Act
      const found = missingPrerequisites(dir, am);

      // Assess
      expect(found.map((m) => m.name)).toEqual(missing);
      if (missing.length) {
        const line = missingLine(found);
        expect(line.split('\n')).toHaveLength(1);
        for (const name of missing) expect(line).toContain(name);
        if (missing.includes('prometheus-alertmanager'))
          expect(line).toContain('apt-get install -y prometheus-alertmanager');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('as npm test runs it: exits 1 with one line on stderr when kubectl is not on PATH', () => {
    // Act
    const result = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'test/prerequisites.ts')], {
      env: { PATH: `${bin}:${dirname(join(ROOT, 'node_modules/.bin/tsx'))}` },
      encoding: 'utf8',
    });

    // Assess
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^npm test needs kubectl/);
    expect(ALERTMANAGER).toBe('/usr/bin/prometheus-alertmanager');
  });
});
