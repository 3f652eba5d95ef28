import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_RBAC_GROUP, rbacManifest } from '../../lambdas/shared/rbac';
import { CliError } from './cli-error';
import type { Streams } from './output';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** commander parser for a comma-separated list of namespaces. */
export function parseNamespaces(value: string): string[] {
  const namespaces = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const bad = namespaces.find((n) => n.length > 63 || !DNS_LABEL.test(n));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a Kubernetes namespace name`);
  if (namespaces.length === 0) throw new InvalidArgumentError('must name at least one namespace');
  return namespaces;
}

export function registerRbacCommand(program: Command, streams: Streams): void {
  program
    .command('rbac')
    .description(
      "Print the Kubernetes RBAC that grants each of the workflow's functions its own permissions (YAML)",
    )
    .requiredOption(
      '--namespaces <a,b>',
      'namespaces the workflow may act in (the stack’s allowedNamespaces)',
      parseNamespaces,
    )
    .option(
      '--scratch-namespaces <a,b>',
      'namespaces backup restore tests run their Jobs in (the stack output adds them when configured)',
      parseNamespaces,
      [],
    )
    .option(
      '--group <group>',
      'prefix of the Kubernetes groups the EKS access entries map the functions to, <group>:<step> (the stack’s rbacGroup)',
      DEFAULT_RBAC_GROUP,
    )
    .addHelpText(
      'after',
      `
One group per function (<group>:intake, <group>:diagnose, ... <group>:backup-restore-test),
each granted only the requests its own operations make: reads cluster-wide, writes (rollout
restart and undo, the lock and storm-brake Leases) only in the given namespaces, restore-test
Jobs only in the scratch namespaces. Only the cluster dump may list Secrets; the intake may only
read pods and their owners. The comment at the top lists each group's grants and the operations
that need them.

Examples:
  npx eks-incident rbac --namespaces one-data-alldata,one-data-system | kubectl apply -f -
  npx eks-incident rbac --group eks-incident-response --namespaces apps > rbac.yaml
  npx eks-incident rbac --namespaces apps --scratch-namespaces backup-restore-test | kubectl apply -f -`,
    )
    .action((options: { namespaces: string[]; scratchNamespaces: string[]; group: string }) => {
      let manifest: string;
      try {
        manifest = rbacManifest(options.group, options.namespaces, options.scratchNamespaces);
      } catch (error) {
        throw new CliError(
          `${(error as Error).message}: use a lowercase name not starting with system:, eks:, aws:, amazon: or iam:`,
        );
      }
      streams.out.write(manifest);
    });
}
