import { createLogger } from '../../../../lambdas/shared/observability/logger';

/** An API error as @kubernetes/client-node throws it: the answer's body rides along. */
class ApiException extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP-Code: ${code}`);
    this.name = 'ApiException';
  }
}

describe('createLogger', () => {
  it('writes Powertools JSON lines with the persistent keys, everything a caller passes redacted', () => {
    // Prepare
    const lines: string[] = [];
    const log = createLogger({
      write: (l) => lines.push(l),
      serviceName: 'eks-incident-test',
      persistentKeys: { step: 'Notify Recovered' },
    });

    // Act
    log.info('posting to https://hooks.slack.com/services/T0001/B0001/abcdefabcdef', {
      DB_PASSWORD: 'hunter2',
      execution_name: 'exec-1',
    });
    log.error('a notification channel failed', {
      error: new Error('Slack webhook answered 500', {
        cause: new ApiException(401, '{"token":"glpat-abcdefghijklmnopqrst"}'),
      }),
    });

    // Assess
    const [info, error] = lines.map((l) => JSON.parse(l));
    expect(info).toEqual({
      level: 'INFO',
      message: 'posting to [REDACTED]',
      timestamp: expect.any(String),
      service: 'eks-incident-test',
      step: 'Notify Recovered',
      execution_name: 'exec-1',
      DB_PASSWORD: '[REDACTED]',
    });
    expect(error).toMatchObject({
      level: 'ERROR',
      error: {
        name: 'Error',
        message: 'Slack webhook answered 500',
        stack: expect.any(String),
        cause: { name: 'ApiException', code: 401, body: expect.not.stringContaining('glpat-') },
      },
    });
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('drops entries below its level; a child writes where its parent does, with its own keys', () => {
    // Prepare
    const lines: string[] = [];
    const log = createLogger({ level: 'WARN', write: (l) => lines.push(l) });

    // Act
    log.debug('noise');
    log.info('noise');
    log.warn('kept');
    log.createChild({ persistentKeys: { receiver: 'ops' } }).error('child');

    // Assess
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ message: 'kept' }),
      expect.objectContaining({ message: 'child', receiver: 'ops' }),
    ]);
  });

  it('takes its level from POWERTOOLS_LOG_LEVEL when none is given', () => {
    // Prepare
    const saved = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    const lines: string[] = [];

    // Act
    try {
      createLogger({ write: (l) => lines.push(l) }).debug('details');
    } finally {
      if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = saved;
    }

    // Assess
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['details']);
  });
});
