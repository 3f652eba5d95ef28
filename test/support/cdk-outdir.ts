import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * A CDK App built without an outdir makes its own `cdk.out*` folder in the temp directory and
 * leaves it there, one per App. The tests give theirs this one instead: one per test file (jest
 * loads this module once per file), removed when the file is done. (CDK_OUTDIR would do it too,
 * but it also makes every App synthesize itself when the process exits, as under the CDK CLI.)
 */
export const CDK_TEST_OUTDIR = mkdtempSync(join(tmpdir(), 'eks-incident-test-cdk-'));

afterAll(() => {
  rmSync(CDK_TEST_OUTDIR, { recursive: true, force: true });
});
