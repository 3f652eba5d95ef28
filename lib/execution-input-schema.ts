import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { executionInputSchema } from '../lambdas/shared/contracts';

/**
 * The execution input of design §4 as a JSON Schema (draft 2020-12), for people writing a
 * console execution by hand and for editors that validate JSON against a schema. Generated
 * from the zod schema the first state validates with, so the two cannot disagree:
 * test/lib/execution-input-schema.test.ts fails when the committed file is not what this makes.
 *
 * Regenerate: `npx tsx lib/execution-input-schema.ts`
 */

export const EXECUTION_INPUT_SCHEMA_FILE = path.resolve(
  __dirname,
  '..',
  'docs',
  'execution-input.schema.json',
);

/**
 * The schema of what may be sent (zod's input side): fields with defaults are optional, and
 * `options` may be left out entirely.
 */
export function executionInputJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(executionInputSchema, { io: 'input' });
  return {
    $schema,
    title: 'eks-incident-response execution input',
    description:
      'The input of an IncidentResponse execution: what a Step Functions console execution sends, and what the ' +
      'Alertmanager webhook intake builds. See docs/console-input.md.',
    ...schema,
  };
}

/** The file's text: what Prettier makes of the JSON, so `npm run lint` accepts the generated file. */
export async function executionInputSchemaText(): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(EXECUTION_INPUT_SCHEMA_FILE)) ?? {};
  return prettier.format(JSON.stringify(executionInputJsonSchema()), { ...options, parser: 'json' });
}

if (require.main === module) {
  void executionInputSchemaText().then((text) => {
    writeFileSync(EXECUTION_INPUT_SCHEMA_FILE, text);
    process.stdout.write(`written: ${path.relative(process.cwd(), EXECUTION_INPUT_SCHEMA_FILE)}\n`);
  });
}
