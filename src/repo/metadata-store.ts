/**
 * Repository metadata kept on disk, in the package store's directory (the `cache` option) but apart
 * from its packages: `DIR/repodata/<key>/` per repository, the key a hash of where the repository's
 * mirrors come from (its metalink or mirrorlist URL, or its mirror bases) and its path under them.
 * Each holds repomd.xml as received (its mtime is when it was last fetched or found unchanged) and the
 * primary file as received, named by the checksum repomd.xml gives of it, so that a repomd.xml and
 * the primary file it describes never get mixed up between processes. Every file is written to a
 * temporary name and renamed into place: readers in other processes see the old file or the new one,
 * never part of one. Nothing here is trusted blindly: a stored primary file is checked against the
 * stored repomd.xml before use (resolve.ts).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import createDebug from 'debug';
import { uniqueTag } from '../fetch/unique-tag.js';

const debug = createDebug('rpmfetch:cache');

/** The folder under the cache directory that holds repository metadata. */
export const REPODATA_DIR = 'repodata';

/** Where a repository's mirrors come from, which with its path names it in the store. */
export interface RepoIdentity {
  readonly kind: 'metalink' | 'mirrorlist' | 'mirrors';
  /** The metalink or mirrorlist URL, or the mirror bases in order. */
  readonly source: string | readonly string[];
  /** The repository's path under each mirror base. */
  readonly repoPath: string;
  /** For humans (`repo.json`): the same with credentials masked. */
  readonly label: string;
}

/** A stored repomd.xml and when it was last fetched (or confirmed unchanged). */
export interface StoredRepomd {
  readonly bytes: Buffer;
  /** ms since the epoch. */
  readonly fetched: number;
  /** The file, for messages. */
  readonly file: string;
}

/** The checksum repomd.xml gives of a primary file. */
export interface FileChecksum {
  readonly type: string;
  readonly hex: string;
}

async function atomicWrite(file: string, data: Buffer | readonly Buffer[]): Promise<void> {
  const temp = `${file}.tmp-${uniqueTag()}`;
  try {
    if (Buffer.isBuffer(data)) await writeFile(temp, data, { flag: 'wx' });
    else await pipeline(Readable.from(data), createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** One repository's folder in the store. */
export class StoredRepo {
  constructor(readonly dir: string) {}

  private get repomdFile(): string {
    return join(this.dir, 'repomd.xml');
  }

  /** The stored repomd.xml, or undefined when there is none (or it cannot be read). */
  async repomd(): Promise<StoredRepomd | undefined> {
    try {
      const [bytes, s] = await Promise.all([readFile(this.repomdFile), stat(this.repomdFile)]);
      return { bytes, fetched: s.mtimeMs, file: this.repomdFile };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') debug('%s: %s', this.repomdFile, (err as Error).message);
      return undefined;
    }
  }

  /** Where the primary file with this checksum is (or would be) kept. */
  primaryFile(checksum: FileChecksum): string {
    return join(this.dir, `primary-${checksum.type}-${checksum.hex}`);
  }

  /** Where repomd.xml.asc of these repomd.xml bytes is kept: named by their SHA-256, so never mismatched. */
  private ascFile(repomd: Buffer): string {
    return join(this.dir, `repomd-${createHash('sha256').update(repomd).digest('hex')}.xml.asc`);
  }

  /** The stored detached signature of these repomd.xml bytes, if one was stored with them. */
  async asc(repomd: Buffer): Promise<Buffer | undefined> {
    return readFile(this.ascFile(repomd)).catch(() => undefined);
  }

  /**
   * Stores a primary file and then the repomd.xml that describes it (in that order: a reader that
   * sees the new repomd.xml finds its primary file), and removes primary files no longer described.
   * `asc` is repomd.xml's signature, when one was checked.
   */
  async save(repomd: Buffer, primary: { checksum: FileChecksum; chunks: readonly Buffer[] } | undefined, identity: RepoIdentity, asc?: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const keep = primary && this.primaryFile(primary.checksum);
    if (primary && keep) await atomicWrite(keep, primary.chunks);
    if (asc) await atomicWrite(this.ascFile(repomd), asc);
    await atomicWrite(this.repomdFile, repomd);
    await writeFile(join(this.dir, 'repo.json'), `${JSON.stringify({ kind: identity.kind, source: identity.label, repoPath: identity.repoPath })}\n`).catch(() => undefined);
    if (keep) await this.removeOthers(keep, asc ? repomd : undefined);
  }

  /** repomd.xml was fetched again and is the same: it counts as fetched now. */
  async touch(): Promise<void> {
    const now = new Date();
    await utimes(this.repomdFile, now, now).catch((err: Error) => debug('%s: %s', this.repomdFile, err.message));
  }

  /** Removes a stored primary file that did not check out. */
  async drop(file: string): Promise<void> {
    debug('dropping %s', file);
    await unlink(file).catch(() => undefined);
  }

  /**
   * Old primary files: a process that read the previous repomd.xml a moment ago may still open its
   * primary file; if it is gone, that process fetches it (or, cache-only, says it is not cached).
   */
  private async removeOthers(keep: string, asc: Buffer | undefined): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const file = join(this.dir, name);
      if ((name.startsWith('primary-') || name.endsWith('.xml.asc')) && file !== keep && !name.includes('.tmp-') && !(asc && file === this.ascFile(asc))) await unlink(file).catch(() => undefined);
    }
  }
}

/** The metadata area of a cache directory. */
export class RepoMetadataStore {
  readonly root: string;

  constructor(cacheDir: string) {
    this.root = join(cacheDir, REPODATA_DIR);
  }

  /** The folder of a repository. */
  repo(identity: RepoIdentity): StoredRepo {
    const key = createHash('sha256').update(JSON.stringify([identity.kind, identity.source, identity.repoPath])).digest('hex').slice(0, 32);
    return new StoredRepo(join(this.root, key));
  }
}

/** How a Downloader uses the metadata area of its cache. */
export interface DiskMetadataUse {
  readonly store: RepoMetadataStore;
  /** `metadataExpire` in ms; negative: never. */
  readonly expire: number;
  /** Resolve from the store alone, without any request. */
  readonly cacheOnly: boolean;
}

/** Whether a repomd.xml fetched at `fetched` is still fresh (`expire` ms; negative: never expires). */
export function isFresh(fetched: number, expire: number, now = Date.now()): boolean {
  return expire < 0 || now - fetched < expire;
}
