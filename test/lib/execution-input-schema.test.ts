import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { InvalidInputError } from '../../lambdas/shared/errors';
import { parseExecutionInput } from '../../lambdas/shared/contracts';
import { EXECUTION_INPUT_SCHEMA_FILE, executionInputSchemaText } from '../../lib/execution-input-schema';

const committed = readFileSync(EXECUTION_INPUT_SCHEMA_FILE, 'utf8');
const schema = JSON.parse(committed) as Record<string, unknown>;

/** The ```json blocks of docs/console-input.md. */
function examples(): unknown[] {
  const markdown = readFileSync(path.join(__dirname, '..', '..', 'docs', 'console-input.md'), 'utf8');
  return [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1]) as unknown);
}

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('docs/execution-input.schema.json', () => {
  it('is exactly what lib/execution-input-schema.ts generates from the zod schema', async () => {
    // Act
    const generated = await executionInputSchemaText();

    // Assess
    expect(committed).toBe(generated);
  });

  it('is a valid draft 2020-12 schema', () => {
    // Act
    const compile = () => validator();

    // Assess
    expect(compile).not.toThrow();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('refuses what the first state refuses', () => {
    // Prepare
    const [dryRun] = examples() as Array<Record<string, Record<string, unknown>>>;
    const bad = [
      { ...dryRun, target: { ...dryRun.target, namespace: 'Not_A_Namespace' } },
      { ...dryRun, target: { namespace: 'apps', kind: 'Deployment' } },
      { ...dryRun, target: { namespace: 'apps', kind: 'ReplicaSet', name: 'nightly' } },
      { ...dryRun, options: { rollbackToRevision: 0 } },
      { ...dryRun, options: { dryRun: 'yes' } },
      { ...dryRun, $schema: './execution-input.schema.json' },
      { ...dryRun, alert: { ...dryRun.alert, startsAt: 'yesterday' } },
    ];
    const validate = validator();

    for (const input of bad) {
      // Act
      const valid = validate(input);

      // Assess
      expect({ input, valid }).toEqual({ input, valid: false });
      expect(() => parseExecutionInput(input)).toThrow(InvalidInputError);
    }
  });
});

describe('the examples of docs/console-input.md', () => {
  it('include a dry run and a forced rollback to a given revision', () => {
    // Act
    const options = examples().map((e) => (e as { options?: Record<string, unknown> }).options ?? {});

    // Assess
    expect(options).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dryRun: true }),
        expect.objectContaining({ rollbackToRevision: expect.any(Number) }),
      ]),
    );
  });

  it.each(examples().map((example, i) => [i + 1, example]))(
    'example %i validates against the schema and the first state',
    (_i, example) => {
      // Act
      const validate = validator();
      const valid = validate(example);

      // Assess
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
      expect(() => parseExecutionInput(example)).not.toThrow();
    },
  );
});
