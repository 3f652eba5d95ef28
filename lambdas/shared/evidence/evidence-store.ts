import type { RedactedText } from '../redact';

/** One object written as evidence, as `manifest.json` lists it. */
export interface EvidenceObject {
  key: string;
  /** Bytes stored (compressed size for gzip objects). */
  size: number;
  /** Hex SHA-256 of the bytes stored. */
  sha256: string;
  contentType: string;
  /** `gzip` for streamed objects (`.gz` keys): the stored bytes are compressed. */
  contentEncoding?: 'gzip';
}

/** One file of an archive: where it sits in the archive, and its text. */
export interface ArchiveEntry {
  /** `/`-separated path inside the archive, e.g. `<namespace>/<pod>/logs.txt`. */
  path: string;
  text: string;
}

/** `manifest.json`: every object under an incident's prefix, so a reader can check none was altered. */
export interface Manifest {
  prefix: string;
  updatedAt: string;
  objects: EvidenceObject[];
}

/**
 * Where the workflow keeps its evidence. Every write is redacted (see redact.ts) before it
 * leaves the function: callers cannot forget to.
 */
export interface EvidenceStore {
  readonly bucket: string;
  /** Writes a redacted, pretty-printed JSON document. */
  putJson(key: string, value: unknown): Promise<EvidenceObject>;
  /** Writes redacted text (logs, Markdown). @default contentType 'text/plain; charset=utf-8' */
  putText(key: string, text: string, contentType?: string): Promise<EvidenceObject>;
  /**
   * Streams records into one gzip object without holding the whole in memory. Each record
   * is redacted on its own, so a record must be a complete unit (a JSON document, a log);
   * a RedactedText (made by redact.ts) is written as it is.
   */
  putStream(
    key: string,
    records: AsyncIterable<string | RedactedText>,
    contentType: string,
  ): Promise<EvidenceObject>;
  /**
   * Streams files into one gzip-compressed tar archive (`.tar.gz`), each file's text redacted
   * on its own; only one file at a time is held in memory.
   */
  putArchive(key: string, entries: AsyncIterable<ArchiveEntry>): Promise<EvidenceObject>;
  /** Reads a JSON document; undefined when there is no such object. */
  getJson<T>(key: string): Promise<T | undefined>;
  /** The keys of every object under `prefix`, in key order. */
  keys(prefix: string): Promise<string[]>;
  /**
   * Rewrites `<prefix>manifest.json` to list every object under the prefix. `written` are
   * the objects this invocation wrote (their digests are known); objects the manifest does
   * not list yet are read back and hashed.
   */
  updateManifest(prefix: string, written: EvidenceObject[]): Promise<EvidenceObject>;
}
