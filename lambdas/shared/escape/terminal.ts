import { plainBlock, plainLine } from './plain-text';

/**
 * Text shown on the user's terminal (`eks-incident report`, `evidence`, the live view, the
 * demo summary). Reports and state come from an S3 bucket and a cluster that others write to:
 * an escape sequence in them could move the cursor, rewrite what was printed, set the window
 * title, or (OSC 52) the clipboard. Escape sequences, C0/C1 controls and bidi overrides go.
 */

/** A cell or line of a table: one line. */
export function terminalLine(text: string): string {
  return plainLine(text);
}

/** A document printed as it is (a report): line breaks and tabs kept, nothing else that controls. */
export function terminalBlock(text: string): string {
  return plainBlock(text);
}

/** Controls that are not JSON whitespace, C1 controls and bidi overrides. */
// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c\u200e\u200f]/g;

/**
 * A JSON document printed for a pipe (`--json`): in valid JSON a control character can only be
 * whitespace between tokens, but C1 controls and bidi overrides are legal inside strings; they
 * are written as \u escapes, which JSON readers decode to the same value.
 */
export function terminalJson(text: string): string {
  return text.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
