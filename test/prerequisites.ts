import { missingLine, missingPrerequisites } from './support/system-tools';

/** `npm test` runs this first: one line and exit 1 when a program the suite runs is missing. */
const missing = missingPrerequisites(process.env.PATH ?? '');
if (missing.length) {
  process.stderr.write(`${missingLine(missing)}\n`);
  process.exit(1);
}
