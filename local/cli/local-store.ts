import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { startLocalAws, type LocalAws } from '../aws/local-aws';
import { CliError } from './cli-error';

/**
 * The local evidence store: S3 on the embedded emulator (fauxqs), kept as files under the
 * data folder so the evidence outlives the process, as it outlives an execution in AWS.
 *
 *   .data/s3/buckets/eks-incident-evidence/objects/<key>.data   each object's bytes
 *   .data/s3/buckets/eks-incident-evidence/objects/<key>.meta.json
 */

/** The data folder of `npm start` and the CLI, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.data';

/** The bucket the local store holds (the emulator's, not an AWS bucket). */
export const LOCAL_BUCKET = 'eks-incident-evidence';

export class LocalStore {
  /** Absolute path of the data folder. */
  readonly dataDir: string;

  constructor(dataDir: string = DEFAULT_DATA_DIR) {
    this.dataDir = resolve(dataDir);
  }

  /** The emulator's `s3StorageDir`. */
  get s3Dir(): string {
    return join(this.dataDir, 's3');
  }

  get exists(): boolean {
    return existsSync(join(this.s3Dir, 'buckets', LOCAL_BUCKET));
  }

  /**
   * Where the emulator keeps an object's bytes (fauxqs's file layout: the key's slashes become
   * folders, `.data` is appended); a key ending in `/` gives its folder. Relative to the
   * working directory when inside it, so it can be pasted.
   */
  pathOf(key: string): string {
    const folder = key.endsWith('/');
    const absolute = join(this.s3Dir, 'buckets', LOCAL_BUCKET, 'objects', folder ? key : `${key}.data`);
    const shown = displayPath(absolute);
    return folder ? `${shown.replace(/[\\/]$/, '')}${sep}` : shown;
  }

  /** Starts the emulator on this store (S3 files here; SNS/SQS in memory). */
  start(): Promise<LocalAws> {
    return startLocalAws({ s3StorageDir: this.s3Dir, bucket: LOCAL_BUCKET });
  }

  /** Starts the emulator on an existing store; a store that was never written is an error, not created. */
  open(): Promise<LocalAws> {
    if (!this.exists) {
      throw new CliError(
        `no local evidence store in ${this.dataDir}: run \`npm start\` (the demo) or \`eks-incident run\` first, ` +
          'or read a bucket with --bucket s3://NAME',
      );
    }
    return this.start();
  }
}

/** A path as the user should type it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const fromCwd = relative(process.cwd(), path);
  return fromCwd === '' ? '.' : fromCwd.startsWith('..') || isAbsolute(fromCwd) ? path : fromCwd;
}
