/**
 * Untrusted text (alert labels and annotations, messages from the cluster, error causes) as
 * plain text for people: e-mail and SMS through SNS, and the base of every other channel.
 *
 * Nothing in it may act on the reader's terminal or mail client, or pass for a line the
 * workflow wrote: escape sequences (ANSI CSI/OSC), C0 and C1 control characters and the
 * Unicode bidirectional overrides that reorder what a reader sees are removed; in a one-line
 * field every line break (CR, LF, VT, FF, NEL, U+2028/2029) becomes a space, so a forged
 * "Severity: resolved" can never start a line of its own.
 */

/** ESC sequences: CSI (`ESC [ ... final`), OSC/DCS/SOS/PM/APC strings (to BEL or ST), and two-byte ones. */
const ESCAPE_SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][\s\S]*?(?:\x07|\x1b\\|$)|[ -/]*[0-~])?|\x9b[0-?]*[ -/]*[@-~]|[\x90\x9d\x98\x9e\x9f][\s\S]*?(?:\x07|\x9c|\x1b\\|$)/g;

/** C0 controls but tab and line feed, DEL, and C1 controls. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Bidirectional embeddings, overrides and isolates (CVE-2021-42574 "Trojan Source"), and U+061C. */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u061c\u200e\u200f]/g;

/** Every character that ends a line somewhere: CR, LF, VT, FF, NEL, LINE/PARAGRAPH SEPARATOR. */
// eslint-disable-next-line no-control-regex
const LINE_BREAK = /\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]/g;

/** Text with no escape sequences, controls or bidi overrides; tabs and line breaks kept as LF. */
export function plainBlock(text: string): string {
  return text
    .replace(ESCAPE_SEQUENCE, '')
    .replace(LINE_BREAK, '\n')
    .replace(CONTROL, (char) => (char === '\t' || char === '\n' ? char : ''))
    .replace(BIDI, '');
}

/** One line: plainBlock with every line break and tab a space, runs of spaces collapsed. */
export function plainLine(text: string): string {
  return plainBlock(text)
    .replace(/[\n\t]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}
