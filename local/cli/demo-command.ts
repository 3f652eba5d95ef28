import type { Command } from 'commander';
import { PortInUseError, serveUntilSignal, startSandboxCommand, type Output } from './sandbox-command';

/** The port `npm start` prefers; another free one is used when it is taken. */
const DEMO_PORT = 8001;
const DEMO_KUBECONFIG = '.data/kubeconfig';

/**
 * `eks-incident demo` (what `npm start` runs): for now, the sandbox with the demo scenario,
 * at real speed, on port 8001 or a free one, with its kubeconfig in `.data/kubeconfig`.
 */
export function registerDemoCommand(program: Command, out: Output): void {
  program
    .command('demo')
    .description('Start the demo: the Kubernetes sandbox with the ONE-DATA-STUDIO incident scenario')
    .action(async () => {
      const options = { kubeconfigOut: DEMO_KUBECONFIG, scenario: 'demo', timeScale: 1 };
      let sandbox;
      try {
        sandbox = await startSandboxCommand({ ...options, port: DEMO_PORT }, out);
      } catch (error) {
        if (!(error instanceof PortInUseError)) throw error;
        out.write(`Port ${DEMO_PORT} is in use; using a free port instead.\n`);
        sandbox = await startSandboxCommand({ ...options, port: 0 }, out);
      }
      await serveUntilSignal(sandbox, out);
    });
}
