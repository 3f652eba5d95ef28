import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  classifiedLines,
  classifyLine,
  classifyLog,
  decisiveLine,
  ERROR_CLASSES,
  hostsIn,
  type HostReference,
} from '../../../../lambdas/shared/diagnosis/classifier';

interface CorpusEntry {
  line: string;
  class: string;
  runtime: string;
  technology?: string;
  hosts?: HostReference[];
  source: string;
}

const fixture = (name: string) =>
  (
    JSON.parse(
      readFileSync(path.join(__dirname, '..', '..', '..', 'fixtures', 'diagnosis', name), 'utf8'),
    ) as { entries: CorpusEntry[] }
  ).entries;
const corpus = fixture('classifier-corpus.json');
/** Messages never used to tune the classifier when they were added (the fixture's $comment says how). */
const heldOut = fixture('classifier-held-out.json');

describe('the classifier corpus', () => {
  it('is broad: every class, several runtimes, each entry citing its source', () => {
    // Assess
    expect(corpus.length).toBeGreaterThanOrEqual(250);
    expect(new Set(corpus.map((e) => e.class))).toEqual(new Set(ERROR_CLASSES));
    expect(new Set(corpus.map((e) => e.runtime)).size).toBeGreaterThanOrEqual(20);
    for (const entry of corpus) expect(entry.source).toMatch(/\S/);
  });

  it('has held-out messages in other wordings and runtimes, each citing its source', () => {
    // Assess
    expect(heldOut.length).toBeGreaterThanOrEqual(70);
    expect(new Set(heldOut.map((e) => e.runtime)).size).toBeGreaterThanOrEqual(15);
    for (const entry of heldOut) {
      expect(entry.source).toMatch(/\S/);
      expect(corpus.map((e) => e.line)).not.toContain(entry.line);
    }
  });
});

function classifiesAsTheCorpusSays(entry: CorpusEntry): void {
  // Act
  const result = classifyLine(entry.line);

  // Assess
  expect(result?.class).toBe(entry.class);
  if (entry.technology) expect(result?.technology).toBe(entry.technology);
  if (entry.hosts) expect(result?.hosts).toEqual(entry.hosts);
}

describe('classifyLine', () => {
  it.each(corpus.map((e) => [e.runtime, e.class, e.line, e] as const))(
    '%s: %s: %s',
    (_runtime, _cls, _line, entry) => classifiesAsTheCorpusSays(entry),
  );

  it.each(heldOut.map((e) => [e.runtime, e.class, e.line, e] as const))(
    'held out: %s: %s: %s',
    (_runtime, _cls, _line, entry) => classifiesAsTheCorpusSays(entry),
  );

  it.each([
    'INFO:     Application startup complete.',
    '{"level":"info","msg":"connected to redis","addr":"redis.one-data-infra:6379"}',
    "[Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.36'",
    'INFO:     10.0.2.27:51234 - "GET /api/v1/health HTTP/1.1" 200 OK',
    '',
  ])('finds no failure in a healthy line: %s', (line) => {
    // Assess
    expect(classifyLine(line)).toBeUndefined();
  });
});

describe('hostsIn', () => {
  it('takes hosts from URLs, host:port and the wordings of the clients, not timestamps or code locations', () => {
    // Assess
    expect(
      hostsIn('Connecting to mysql+pymysql://alldata:secret@mysql.one-data-infra:3306/one_data'),
    ).toEqual([{ host: 'mysql.one-data-infra', port: 3306 }]);
    expect(hostsIn('2026-01-01 02:13:07 [error] at /src/internal/llm/router.go:88 retry 10:30')).toEqual([]);
    expect(hostsIn(`Can't connect to MySQL server on 'mysql' (111)`)).toEqual([{ host: 'mysql' }]);
  });
});

describe('decisiveLine', () => {
  it('is the last line of the highest rank: the root cause over the crash and the "startup failed" after it', () => {
    // Prepare
    const lines = classifyLog(
      [
        'WARNING redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused.',
        'Traceback (most recent call last):',
        `pymysql.err.OperationalError: (1045, "Access denied for user 'app'@'10.0.3.4' (using password: YES)")`,
        'ERROR:    Application startup failed. Exiting.',
      ].join('\n'),
    );

    // Act
    const decisive = decisiveLine(lines);

    // Assess
    expect(decisive).toMatchObject({ class: 'auth-failure', index: 2 });
  });
});

describe('classifiedLines', () => {
  const text = [
    'INFO starting',
    'psycopg2.OperationalError: connection to server at "db" (10.0.0.5), port 5432 failed: Connection refused',
  ].join('\n');

  it("is classifyLog of the log's text, classified once for the three readers of a diagnosis", () => {
    // Prepare
    const log = { pod: 'api-1', text };

    // Act
    const first = classifiedLines(log);
    const again = classifiedLines(log);

    // Assess
    expect(first).toEqual(classifyLog(text));
    expect(again).toBe(first);
  });

  it('classifies again when the log object now holds another text', () => {
    // Prepare
    const log = { text };
    const before = classifiedLines(log);

    // Act
    log.text = 'panic: runtime error: invalid memory address or nil pointer dereference';
    const after = classifiedLines(log);

    // Assess
    expect(after).not.toBe(before);
    expect(after).toEqual(classifyLog(log.text));
  });
});
