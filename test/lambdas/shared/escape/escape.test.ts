import { markdownCode, markdownText } from '../../../../lambdas/shared/escape/markdown';
import { plainBlock, plainLine } from '../../../../lambdas/shared/escape/plain-text';
import { slackPlainText, slackText } from '../../../../lambdas/shared/escape/slack';
import { terminalBlock, terminalJson, terminalLine } from '../../../../lambdas/shared/escape/terminal';
import { ALL_INJECTIONS, ESCAPES, FORGED_LINES, MARKDOWN, SLACK } from '../../../fixtures/injection-corpus';

/** Anything a terminal or mail client acts on: C0 but tab/LF, DEL, C1, bidi controls. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c\u200e\u200f]/;
/** Any line break of any convention. */
// eslint-disable-next-line no-control-regex
const BREAKS = /[\r\n\x0b\x0c\x85\u2028\u2029]/;

describe('plain text', () => {
  it.each(ALL_INJECTIONS.map((c) => [c.name, c.text]))(
    'plainLine(%s) is one line without controls',
    (_n, text) => {
      // Act
      const line = plainLine(text);

      // Assess
      expect(line).not.toMatch(CONTROLS);
      expect(line).not.toMatch(BREAKS);
    },
  );

  it.each(FORGED_LINES.map((c) => [c.name, c.text]))('a forged line (%s) cannot start a line', (_n, text) => {
    // Act
    const message = `Summary: ${plainLine(text)}\nSeverity: critical`;

    // Assess
    expect(message.split('\n').filter((l) => l.startsWith('Severity:'))).toEqual(['Severity: critical']);
  });

  it.each(ESCAPES.map((c) => [c.name, c.text]))('plainBlock(%s) keeps only text, tabs and LF', (_n, text) => {
    // Act
    const block = plainBlock(`${text}\n\tnext`);

    // Assess
    expect(block).not.toMatch(CONTROLS);
    expect(block.endsWith('\n\tnext')).toBe(true);
  });

  it('keeps ordinary text, other scripts and emoji as they are', () => {
    // Prepare
    const texts = [
      '服务 alldata-api 不可用',
      'Datenbank nicht erreichbar (ä ö ü ß)',
      '⚠️ 🚨 ✅',
      'a - b: c (d) [e]',
    ];

    // Act + Assess
    for (const text of texts) expect(plainLine(text)).toBe(text);
  });
});

describe('Markdown', () => {
  it.each(ALL_INJECTIONS.map((c) => [c.name, c.text]))(
    'markdownText(%s) has no markup of its own',
    (_n, text) => {
      // Act
      const md = markdownText(text);

      // Assess: every markup character is escaped, no line break, no autolink pattern.
      expect(md).not.toMatch(BREAKS);
      expect(md).not.toMatch(CONTROLS);
      expect(md).not.toMatch(/(?<!\\)[<>`*_[\]|~&$]/);
      expect(md).not.toMatch(/[a-z]+:\/\//i);
      expect(md).not.toMatch(/\bwww\./i);
      expect(md).not.toMatch(/@[^\u200b]/);
    },
  );

  it.each(MARKDOWN.map((c) => [c.name, c.text]))('markdownCode(%s) is one code span', (_n, text) => {
    // Act
    const code = markdownCode(text);

    // Assess: the fence is longer than any backtick run inside it, and closes the span.
    const fence = /^`+/.exec(code)![0];
    const inner = code.slice(fence.length, code.length - fence.length);
    expect(code.endsWith(fence)).toBe(true);
    expect(inner).not.toContain(fence);
    expect(code).not.toMatch(BREAKS);
    expect(code).not.toMatch(/[a-z]+:\/\//i);
  });

  it('escapes pipes inside code only in table cells', () => {
    // Act + Assess
    expect(markdownCode('a | b')).toBe('`a | b`');
    expect(markdownCode('a | b', true)).toBe('`a \\| b`');
  });

  it('leaves names and times readable', () => {
    // Act + Assess
    expect(markdownText('Deployment one-data-alldata/alldata-api since 2026-11-22T03:00:00Z')).toBe(
      'Deployment one-data-alldata/alldata-api since 2026-11-22T03:00:00Z',
    );
  });
});

describe('Slack', () => {
  it.each([...SLACK, ...MARKDOWN, ...ESCAPES].map((c) => [c.name, c.text]))(
    'slackText(%s) has no link, mention or control',
    (_n, text) => {
      // Act
      const mrkdwn = slackText(text);

      // Assess
      expect(mrkdwn).not.toMatch(/[<>]/);
      expect(mrkdwn).not.toMatch(/@(here|channel|everyone)/i);
      expect(mrkdwn).not.toMatch(/[a-z]+:\/\//i);
      expect(mrkdwn).not.toMatch(CONTROLS);
      expect(mrkdwn).not.toMatch(BREAKS);
      expect(mrkdwn.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
    },
  );

  it.each(SLACK.map((c) => [c.name, c.text]))('slackPlainText(%s) mentions no one', (_n, text) => {
    // Act + Assess
    expect(slackPlainText(text)).not.toMatch(/@(here|channel|everyone)/i);
  });
});

describe('terminal', () => {
  it.each(ALL_INJECTIONS.map((c) => [c.name, c.text]))(
    'terminalLine(%s) holds no escape or control',
    (_n, text) => {
      // Act + Assess
      expect(terminalLine(text)).not.toMatch(CONTROLS);
      expect(terminalLine(text)).not.toMatch(BREAKS);
    },
  );

  it.each(ESCAPES.map((c) => [c.name, c.text]))(
    'terminalBlock(%s) holds no escape or control',
    (_n, text) => {
      // Act + Assess
      expect(terminalBlock(`# Report\n${text}\n`)).not.toMatch(CONTROLS);
    },
  );

  it.each(ESCAPES.map((c) => [c.name, c.text]))(
    'terminalJson(%s) is the same JSON value, printable',
    (_n, text) => {
      // Prepare
      const json = JSON.stringify({ summary: text }, null, 2);

      // Act
      const safe = terminalJson(json);

      // Assess
      expect(safe).not.toMatch(CONTROLS);
      expect(JSON.parse(safe)).toEqual({ summary: text });
    },
  );
});
