import { configSchema, type StackConfig } from '../../lib/config';
import { CliError } from './cli-error';

/** The help line of `--rules`, the same on every command that runs incident flows. */
export const RULES_OPTION_HELP =
  'YAML/JSON file of diagnosis rules that add to or override the built-in ones (docs/rules.md), as CDK context rulesFile';

/**
 * `--rules FILE`: read and validated exactly as the CDK context `rulesFile` is at synth time,
 * so a rule that `cdk synth` would reject fails here too, naming the file and the field.
 */
export function rulesFileOption(file: string | undefined): StackConfig['rulesFile'] {
  if (file === undefined) return undefined;
  const result = configSchema.shape.rulesFile.safeParse(file);
  if (result.success) return result.data;
  throw new CliError(`--rules: ${result.error.issues[0].message}`);
}
