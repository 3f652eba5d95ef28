import { plainLine } from './plain-text';

/**
 * Untrusted text inside a Slack mrkdwn field. Slack reads `<...>` as links, user and channel
 * mentions (`<!channel>`, `<@U123>`, `<http://x|click here>`), so &, < and > are escaped as
 * Slack documents; `@here`, `@channel` and `@everyone` written out, and bare URLs, are broken
 * with a zero-width space so they neither notify anyone nor become links.
 */

const ZWSP = '\u200b';

function defang(text: string): string {
  return text
    .replace(/@(here|channel|everyone)\b/gi, `@${ZWSP}$1`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, (www) => `${www.slice(0, 3)}${ZWSP}.`);
}

/** One line of untrusted text for a mrkdwn field. */
export function slackText(text: string): string {
  return defang(plainLine(text)).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Our own text that may still hold &, < or > (an S3 key): escaped, not defanged. */
export function slackLiteral(text: string): string {
  return plainLine(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** One line of untrusted text for a plain_text field (headers): no markup, but no mentions either. */
export function slackPlainText(text: string): string {
  return defang(plainLine(text));
}
