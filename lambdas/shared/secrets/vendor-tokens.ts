import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';

/**
 * Vendor credentials (AWS, GCP, GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic, npm, Vault,
 * SendGrid, Shopify, Databricks, Grafana, 1Password, Cloudflare, Tailscale, connection strings,
 * private keys...) found by secretlint's recommended rule preset, which its maintainers keep up
 * with the vendors' token formats.
 *
 * The preset's rules are run in-process, synchronously, on the text itself: each rule is a
 * `create(context)` returning a `file(source)` scanner that reports ranges. Redaction runs inside
 * synchronous code (the logger, notification formatting), and @secretlint/core's async linter,
 * built for files on disk, would add a config loader and a profiler for nothing.
 */

type Range = readonly [number, number];

interface RuleContext {
  createTranslator(messages: unknown): (id: string, props?: unknown) => string;
  report(descriptor: { message: string; range: Range }): void;
  ignore(): void;
  registerRule(): void;
}

interface Source {
  content: string;
  filePath: string;
  ext: string;
  contentType: 'text';
}

interface Rule {
  meta: { id: string };
  create(context: RuleContext, options: Record<string, unknown>): { file?(source: Source): unknown };
}

/**
 * Not run: `filter-comments` honours `secretlint-disable` comments, which anyone who can write
 * a log line could use to hide a secret from redaction.
 */
const SKIPPED = new Set(['@secretlint/secretlint-rule-filter-comments']);

/** The AWS rule finds access key ids and account ids only when asked. */
const OPTIONS: Record<string, Record<string, unknown>> = {
  '@secretlint/secretlint-rule-aws': { enableIDScanRule: true },
};

let found: Range[] = [];

const context: RuleContext = {
  createTranslator: () => (id) => id,
  report: ({ range }) => {
    found.push(range);
  },
  ignore: () => undefined,
  registerRule: () => undefined,
};

const scanners = (recommendedRules as unknown as Rule[])
  .filter((rule) => !SKIPPED.has(rule.meta.id))
  .map((rule) => rule.create(context, OPTIONS[rule.meta.id] ?? {}).file)
  .filter((file): file is (source: Source) => unknown => typeof file === 'function');

/** The credential values in `text` that secretlint's recommended rules recognise. */
export function vendorSecrets(text: string): string[] {
  found = [];
  const source: Source = { content: text, filePath: 'evidence.txt', ext: '.txt', contentType: 'text' };
  for (const file of scanners) {
    try {
      file(source);
    } catch {
      // A rule that cannot parse this text (a JSON credential file rule on prose) found nothing.
    }
  }
  const values = found.map(([start, end]) => text.slice(start, end)).filter((value) => value.length >= 6);
  found = [];
  return [...new Set(values)];
}
