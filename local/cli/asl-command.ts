import { InvalidArgumentError, type Command } from 'commander';
import { cachedDefinitions } from '../../lib/definitions-cache';
import type { AslDefinition, SynthesizedDefinitions } from '../../lib/synth';
import { CliError } from './cli-error';
import type { Streams } from './output';

/** What the definition needs to synthesize when the user gives no context: any valid stack config. */
const EXAMPLE_CONTEXT = { clusterName: 'my-cluster', allowedNamespaces: 'default' };

function collectContext(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([A-Za-z][\w-]*)=(.*)$/s.exec(value);
  if (!match) throw new InvalidArgumentError('must be key=value, e.g. --context region=eu-west-1');
  return { ...previous, [match[1]]: match[2] };
}

/** `incidentResponse` → `incident-response`. */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The state machine definitions a synthesis produced, by their CLI name. */
function definitionsOf(synthesized: SynthesizedDefinitions): Map<string, AslDefinition> {
  const definitions = new Map<string, AslDefinition>();
  for (const [key, value] of Object.entries(synthesized)) {
    const candidate = value as Partial<AslDefinition>;
    if (candidate && typeof candidate === 'object' && candidate.StartAt && candidate.States) {
      definitions.set(kebab(key), value as AslDefinition);
    }
  }
  return definitions;
}

function placeholderNotes(synthesized: SynthesizedDefinitions, contextGiven: boolean): string {
  const { functions, topicArn, region, account } = synthesized.placeholders;
  const width = Math.max(...Object.values(functions).map((arn) => arn.length), topicArn.length);
  return [
    'The definition CDK synthesizes, ready for Workflow Studio (code view) or',
    '`aws stepfunctions create-state-machine --definition file://FILE`. Deploy-time references are',
    `placeholders (region ${region}, account ${account}); replace them with your resources:`,
    ...Object.entries(functions).map(
      ([step, arn]) => `  ${arn.padEnd(width)}  the ${step} function (lambdas/${step}/handler.ts)`,
    ),
    `  ${topicArn.padEnd(width)}  the notification topic (Last-Resort Notify)`,
    'Deploying the stack (npx cdk deploy -c clusterName=... -c allowedNamespaces=...) fills them in.',
    ...(contextGiven
      ? []
      : [
          `Synthesized with example settings (${Object.entries(EXAMPLE_CONTEXT)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}); pass yours with --context key=value.`,
        ]),
    '',
  ].join('\n');
}

export function registerAslCommand(program: Command, streams: Streams): void {
  program
    .command('asl')
    .description('Print the synthesized state machine definition (Amazon States Language JSON)')
    .option(
      '--context <key=value>',
      'CDK context for the synthesis, as `cdk synth -c` (repeatable): clusterName, allowedNamespaces, region, ...',
      collectContext,
      {},
    )
    .option('--state-machine <name>', 'which definition to print', 'incident-response')
    .addHelpText(
      'after',
      `
The JSON goes to stdout; what its placeholders stand for goes to stderr.

Examples:
  npx eks-incident asl > incident-response.asl.json
  npx eks-incident asl --context region=eu-west-1 --context clusterName=prod --context allowedNamespaces=apps`,
    )
    .action((options: { context: Record<string, string>; stateMachine: string }) => {
      const contextGiven = Object.keys(options.context).length > 0;
      const synthesized = cachedDefinitions({ ...EXAMPLE_CONTEXT, ...options.context });
      const definitions = definitionsOf(synthesized);
      const definition = definitions.get(options.stateMachine);
      if (!definition) {
        throw new CliError(
          `no state machine "${options.stateMachine}"; choose one of: ${[...definitions.keys()].join(', ')}`,
        );
      }
      streams.out.write(`${JSON.stringify(definition, null, 2)}\n`);
      streams.err.write(placeholderNotes(synthesized, contextGiven));
    });
}
