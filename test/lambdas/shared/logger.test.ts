import { createLogger } from '../../../lambdas/shared/logger';

describe('createLogger', () => {
  it('writes one JSON line per entry with the context fields, redacted', () => {
    // Prepare
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), fields: { function: 'escalate' } }).child({
      execution: 'exec-1',
    });

    // Act
    log.info('posting to https://hooks.slack.com/services/T0001/B0001/abcdefabcdef', {
      DB_PASSWORD: 'hunter2',
    });
    log.error('a notification channel failed', { error: new Error('Slack webhook answered 500') });

    // Assess
    const [info, error] = lines.map((l) => JSON.parse(l));
    expect(info).toEqual({
      level: 'info',
      time: expect.any(String),
      message: 'posting to [REDACTED]',
      function: 'escalate',
      execution: 'exec-1',
      DB_PASSWORD: '[REDACTED]',
    });
    expect(error).toMatchObject({
      level: 'error',
      error: { name: 'Error', message: 'Slack webhook answered 500' },
    });
  });

  it('drops entries below its level', () => {
    // Prepare
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });

    // Act
    log.debug('noise');
    log.info('noise');
    log.warn('kept');

    // Assess
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['kept']);
  });
});
