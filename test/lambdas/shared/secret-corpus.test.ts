import { REDACTED, redactObject, redactText } from '../../../lambdas/shared/redact';
import { NEGATIVES, SECRET_CASES } from '../../fixtures/secret-corpus';

/*
 * The detector against the corpus (test/fixtures/secret-corpus.ts), wherever a credential sits
 * in what the workflow reads: a log line, an env value under a harmless name, a container's
 * args, an alert annotation. The flow tests plant the same corpus in a cluster and an alert
 * and check every output channel.
 */

const cases = SECRET_CASES.map((c) => [`${c.category}: ${c.name}`, c] as const);

describe('the secret corpus', () => {
  it('has at least 60 cases across every category of issue 10', () => {
    // Assess
    expect(SECRET_CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(SECRET_CASES.map((c) => c.category))).toEqual(
      new Set([
        'one-word names',
        'container args',
        'authorization headers',
        'key id then secret',
        'base64',
        'vendor tokens',
        'connection strings',
        'private keys',
        'JWTs',
        'prose',
        'other languages',
      ]),
    );
  });

  it.each(cases)('redacts %s in a log line', (_name, c) => {
    // Act
    const output = redactText(`2026-11-22T03:00:01Z INFO ${c.line} (attempt 2)`);

    // Assess
    expect(output).not.toContain(c.secret);
    expect(output).toContain(REDACTED);
    expect(output).toMatch(/^2026-11-22T03:00:01Z INFO /);
  });

  it.each(cases)('redacts %s in an env value, container args and an alert annotation', (_name, c) => {
    // Prepare
    const pod = {
      spec: {
        containers: [
          {
            name: 'api',
            args: c.line.split(' '),
            command: ['sh', '-c', c.line],
            env: [{ name: 'APP_OPTIONS', value: c.line }],
          },
        ],
      },
    };
    const alert = { summary: c.line, annotations: { description: c.line }, labels: { detail: c.line } };

    // Act
    const output = JSON.stringify(redactObject([pod, alert]));

    // Assess
    expect(output).not.toContain(c.secret);
    expect(output).not.toContain(JSON.stringify(c.secret).slice(1, -1));
  });

  it.each(NEGATIVES)('keeps "%s" as it is', (line) => {
    // Act
    const output = redactText(line);
    const inObject = redactObject({ message: line, env: [{ name: 'LOG_LINE', value: line }] });

    // Assess
    expect(output).toBe(line);
    expect(inObject).toEqual({ message: line, env: [{ name: 'LOG_LINE', value: line }] });
  });

  it('keeps every negative intact in a log that mixes them with secrets', () => {
    // Prepare
    const log = SECRET_CASES.map((c, i) => `${c.line}\n${NEGATIVES[i % NEGATIVES.length]}`).join('\n');

    // Act
    const output = redactText(log);

    // Assess
    for (const c of SECRET_CASES) expect(output).not.toContain(c.secret);
    for (const line of NEGATIVES) expect(output).toContain(line);
  });
});
