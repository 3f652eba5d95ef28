import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { rulesFileSchema } from '../lambdas/shared/rules/rule-schema';

/**
 * The diagnosis rules file (docs/rules.md) as a JSON Schema (draft 2020-12), for editors and CI
 * that validate a rules file before it ships. Generated from the zod schema `loadRules` validates
 * with, so the two cannot disagree: test/lib/rules-schema.test.ts fails when the committed file
 * is not what this makes.
 *
 * Regenerate: `npx tsx lib/rules-schema.ts`
 */

export const RULES_SCHEMA_FILE = path.resolve(__dirname, '..', 'docs', 'rules.schema.json');

export function rulesJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(rulesFileSchema, { io: 'input' });
  return {
    $schema,
    title: 'eks-incident-response diagnosis rules',
    description:
      'Rules added to (or replacing, by id) the built-in diagnosis rules: matchers over the evidence, a cause and a fix ' +
      'with placeholders, and the remediation the cause calls for. See docs/rules.md.',
    ...schema,
  };
}

/** The file's text: what Prettier makes of the JSON, so `npm run lint` accepts the generated file. */
export async function rulesSchemaText(): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(RULES_SCHEMA_FILE)) ?? {};
  return prettier.format(JSON.stringify(rulesJsonSchema()), { ...options, parser: 'json' });
}

if (require.main === module) {
  void rulesSchemaText().then((text) => {
    writeFileSync(RULES_SCHEMA_FILE, text);
    process.stdout.write(`written: ${path.relative(process.cwd(), RULES_SCHEMA_FILE)}\n`);
  });
}
