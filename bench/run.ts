import { recordSections } from './results-file';
import { benchSandboxList } from './sandbox-list';

/** `npm run bench`: runs every benchmark and writes bench/results.json and bench/results.md. */
async function main(): Promise<void> {
  const sections = [await benchSandboxList()];
  await recordSections(sections);
  for (const section of sections) {
    console.log(`\n${section.title}`);
    for (const f of section.figures)
      console.log(`  ${f.name}: ${f.value.toFixed(1)} ${f.unit}${f.note ? ` (${f.note})` : ''}`);
  }
  console.log('\nwritten: bench/results.json, bench/results.md');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
