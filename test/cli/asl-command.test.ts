import { main } from '../../local/cli/main';
import { synthesizeDefinitions, type AslDefinition } from '../../lib/synth';
import { allStates } from '../../local/engine/execute-definition';
import { recordingStreams } from '../support/cli';

async function asl(...args: string[]) {
  const streams = recordingStreams();
  const code = await main(['node', 'eks-incident', 'asl', ...args], streams);
  return { code, stdout: streams.stdout(), stderr: streams.stderr() };
}

describe('eks-incident asl', () => {
  it('prints the definition CDK synthesizes, and explains its placeholders on stderr', async () => {
    // Act
    const result = await asl();

    // Assess
    expect(result.code).toBe(0);
    const expected = synthesizeDefinitions({ clusterName: 'my-cluster', allowedNamespaces: 'default' });
    expect(JSON.parse(result.stdout)).toEqual(expected.incidentResponse);
    for (const [step, arn] of Object.entries(expected.placeholders.functions)) {
      expect(result.stderr).toMatch(
        new RegExp(`^  ${arn} +the ${step} function \\(lambdas/${step}/handler\\.ts\\)$`, 'm'),
      );
    }
    expect(result.stderr).toContain(expected.placeholders.topicArn);
    expect(result.stderr).toContain('pass yours with --context key=value');
  });

  it('synthesizes with the given context', async () => {
    // Act
    const result = await asl('--context', 'region=eu-west-1', '--context', 'clusterName=prod');

    // Assess
    expect(result.code).toBe(0);
    const definition = JSON.parse(result.stdout) as AslDefinition;
    // The Assess Parallel's branch Tasks included.
    const lambdaResources = allStates(definition as never)
      .map(([, state]) => state.Resource as string | undefined)
      .filter((resource) => resource?.startsWith('arn:aws:lambda:'));
    expect(lambdaResources.length).toBeGreaterThan(0);
    for (const resource of lambdaResources)
      expect(resource).toMatch(/^arn:aws:lambda:eu-west-1:000000000000:function:/);
    expect(result.stderr).not.toContain('example settings');
  });

  it('refuses a state machine it does not synthesize', async () => {
    // Act
    const result = await asl('--state-machine', 'nope');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^eks-incident: no state machine "nope"; choose one of: incident-response/);
  });
});
