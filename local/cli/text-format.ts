import { terminalLine } from '../../lambdas/shared/escape/terminal';

/** Plain-text layout shared by the commands' human-readable output. */

/** `42s`, `7m05s`, `1h02m`: workflow durations as a person reads them. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Wall-clock seconds with one decimal: `3.2s`. */
export function formatWall(seconds: number): string {
  return `${seconds.toFixed(1)}s`;
}

/**
 * Columns padded to their widest cell, two spaces apart, headers first; no trailing spaces.
 * Cells hold text from reports, alerts and the cluster: each is one line, with no escape
 * sequence or control character left to act on the terminal.
 */
export function table(headers: string[], unsafeRows: string[][]): string {
  const rows = unsafeRows.map((row) => row.map(terminalLine));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Cuts a line to `width` characters, marking the cut. */
export function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** `1 warning`, `3 warnings`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
