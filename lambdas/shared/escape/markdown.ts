import { plainLine } from './plain-text';

/**
 * Untrusted text inside the Markdown report (GitHub-flavoured Markdown, as GitHub, GitLab and
 * most viewers render it). It must read as the text it is: no raw HTML, no link or image, no
 * heading, list, quote or table structure of its own, no emphasis that hides part of it.
 */

/**
 * Characters that mean something inside a line in CommonMark/GFM: code, emphasis, links and
 * images (`[`; `!` and `(` mean nothing without it), HTML and entities, table cells,
 * strikethrough, math. A backslash makes each literal. Untrusted text never starts a line of
 * the report, so the line-start markers (`#`, `-`, `>`, `1.`) need no escape.
 */
const MARKDOWN_PUNCTUATION = /[\\`*_[\]<>&|~$]/g;

/** Zero-width space: breaks the patterns GFM turns into links without any markup. */
const ZWSP = '\u200b';

/**
 * GFM's extended autolinks (`https://...`, `www....`, `user@host`) are found in plain text,
 * after escapes are undone, so escaping cannot stop them: an invisible break inside the
 * pattern does.
 */
function defang(text: string): string {
  return text
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, (www) => `${www.slice(0, 3)}${ZWSP}.`)
    .replace(/@/g, `@${ZWSP}`);
}

/** One line of untrusted text, literal in Markdown (also inside a table cell). */
export function markdownText(text: string): string {
  return defang(plainLine(text)).replace(MARKDOWN_PUNCTUATION, (char) => `\\${char}`);
}

/**
 * Untrusted text as an inline code span: shown verbatim (nothing inside a code span is
 * Markdown). The fence is longer than any run of backticks inside. In a table cell a pipe is
 * escaped, as GFM requires even inside code there (elsewhere the backslash would show).
 */
export function markdownCode(text: string, inTableCell = false): string {
  const plain = defang(plainLine(text));
  const line = inTableCell ? plain.replaceAll('|', '\\|') : plain;
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') || line === '' ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}
