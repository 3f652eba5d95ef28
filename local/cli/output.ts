/** Where a command writes: process.stdout or process.stderr, or a test's recorder. */
export interface Output {
  write(text: string): void;
  /** A terminal: live views redraw in place instead of printing one line per change. */
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

/** The two streams a command writes to: results on `out`, progress and notices on `err`. */
export interface Streams {
  out: Output;
  err: Output;
}
