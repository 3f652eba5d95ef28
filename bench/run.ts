import { benchAlertStorm } from './alert-storm';
import { benchClusterDump } from './cluster-dump';
import { benchColdStack } from './cold-stack';
import { benchIncidentFlow } from './incident-flow';
import { benchLambdaBundles } from './lambda-bundles';
import { benchRedaction } from './redaction';
import { formatNumber, recordSections, type Section } from './results-file';
import { benchSandboxList } from './sandbox-list';
import { progress } from './stats';

/** Every benchmark, by the name that selects it: `npm run bench -- flow dump`. */
const BENCHMARKS: Record<string, () => Promise<Section>> = {
  'sandbox-list': benchSandboxList,
  flow: benchIncidentFlow,
  bundles: benchLambdaBundles,
  'cold-stack': benchColdStack,
  dump: benchClusterDump,
  'alert-storm': benchAlertStorm,
  redaction: benchRedaction,
};

/**
 * `npm run bench [-- name...]`: runs every benchmark (or the named ones) and writes
 * bench/results.json and bench/results.md; sections not rerun keep their last figures.
 */
async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !BENCHMARKS[name]);
  if (unknown.length) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  const selected = names.length ? names : Object.keys(BENCHMARKS);
  const sections: Section[] = [];
  const start = performance.now();
  for (const name of selected) {
    const began = performance.now();
    progress(name, 'started');
    const section = await BENCHMARKS[name]();
    // Written as each finishes: a later benchmark that fails does not lose the earlier figures.
    await recordSections([section]);
    sections.push(section);
    progress(name, `done in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  }
  for (const section of sections) {
    console.log(`\n${section.title}`);
    for (const f of section.figures) {
      const spread = f.spread ? ` (${formatNumber(f.spread.min)}–${formatNumber(f.spread.max)})` : '';
      console.log(`  ${f.name}: ${formatNumber(f.value)} ${f.unit}${spread}${f.note ? ` — ${f.note}` : ''}`);
    }
    for (const table of section.tables ?? []) {
      console.log(`  ${table.columns.join(' | ')}`);
      for (const row of table.rows)
        console.log(
          `  ${row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)).join(' | ')}`,
        );
    }
  }
  console.log(
    `\nwritten: bench/results.json, bench/results.md (${((performance.now() - start) / 1000).toFixed(0)} s)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
