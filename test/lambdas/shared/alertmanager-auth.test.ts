import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alertmanagerAuthorization } from '../../../lambdas/shared/alertmanager-auth';
import { AlertmanagerSilences } from '../../../lambdas/shared/alertmanager-silences';
import { ConfigurationError } from '../../../lambdas/shared/errors';

describe('alertmanagerAuthorization', () => {
  it('sends a plain secret as a bearer token and a username/password secret as basic auth', () => {
    expect(alertmanagerAuthorization('tok-0123456789\n')).toBe('Bearer tok-0123456789');
    expect(alertmanagerAuthorization('{"username": "incident-bot", "password": "p@ss:w0rd"}')).toBe(
      `Basic ${Buffer.from('incident-bot:p@ss:w0rd').toString('base64')}`,
    );
  });

  it.each([
    ['', 'empty'],
    ['two words', 'one bearer token'],
    ['{"username": "bot"', 'not JSON'],
    ['{"user": "bot", "password": "x"}', '{"username": "...", "password": "..."}'],
    ['{"username": "a:b", "password": "x"}', 'no ":" in the username'],
  ])('refuses %j, saying why', (secret, why) => {
    expect(() => alertmanagerAuthorization(secret)).toThrow(ConfigurationError);
    expect(() => alertmanagerAuthorization(secret)).toThrow(why);
  });
});

describe('AlertmanagerSilences with credentials', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];

  beforeAll(async () => {
    // Alertmanager's API v2 as far as the silence calls go: create answers the new id, delete 200.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.method === 'POST' ? JSON.stringify({ silenceID: 'a1b2c3' }) : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the Authorization header on creating and on expiring a silence', async () => {
    // Prepare
    const authorization = alertmanagerAuthorization('{"username": "incident-bot", "password": "s3cret"}');
    const silences = new AlertmanagerSilences(url, { authorization });

    // Act
    const id = await silences.create({
      matchers: [{ name: 'alertname', value: 'KubePodCrashLooping', isRegex: false, isEqual: true }],
      startsAt: '2026-11-22T03:00:00Z',
      endsAt: '2026-11-22T04:00:00Z',
      createdBy: 'eks-incident-response i-1',
      comment: 'test',
    });
    await silences.expire(id);

    // Assess
    expect(seen.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['POST', '/api/v2/silences', `Basic ${Buffer.from('incident-bot:s3cret').toString('base64')}`],
      ['DELETE', '/api/v2/silence/a1b2c3', `Basic ${Buffer.from('incident-bot:s3cret').toString('base64')}`],
    ]);
  });
});
