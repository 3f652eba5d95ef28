import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { lambdaV8Flags } from '../../../lib/bundling/lambda-v8-flags';

const MODULE = resolve(__dirname, '../../../lambdas/shared/young-generation.ts');

/**
 * A fresh Node started as Lambda starts a 1,024 MB function allocates with a few MiB alive at
 * any time, as the cluster dump does: first inside withYoungGenerationHeld, then outside it.
 */
const SCRIPT = `
// tsx loads the TypeScript module as CommonJS: its exports are the default export.
const { withYoungGenerationHeld } = (await import(${JSON.stringify(MODULE)})).default;
const { getHeapSpaceStatistics } = await import('node:v8');
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
// The job yields to the event loop often, as the dump does between reads and writes.
async function churn() {
  const alive = [];
  for (let i = 0; i < 6000; i++) {
    alive.push(new Array(2000).fill(i));
    if (alive.length > 150) alive.shift();
    if (i % 20 === 0) await new Promise((next) => setImmediate(next));
  }
}
const before = newSpace();
await withYoungGenerationHeld(churn);
const held = newSpace();
await churn();
console.log(JSON.stringify({ before, held, after: newSpace() }));
`;

describe('withYoungGenerationHeld', () => {
  it('keeps the young generation at 2×4 MiB under Lambda`s flags, and lets it grow again after', () => {
    // Act
    const output = execFileSync(
      process.execPath,
      [...lambdaV8Flags(1024), '--import', 'tsx', '--input-type=module', '--eval', SCRIPT],
      { cwd: resolve(__dirname, '../../..'), encoding: 'utf8' },
    );

    // Assess
    const { before, held, after } = JSON.parse(output) as Record<string, number>;
    expect(before).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(8 * 2 ** 20);
    expect(after).toBeGreaterThan(held);
  });
});
