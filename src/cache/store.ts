/**
 * The package store: a content-addressed directory (content named by its SHA-256, layout.ts) holding
 * only packages that verified, with an index entry under every key a later target may know (keys.ts,
 * index-file.ts). Each entry records what the content file looked like when it was stored (device,
 * inode, size, mtime) and the verdict it earned, so that a hit can be trusted without hashing again
 * while the file is unchanged (hit-check.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import createDebug from 'debug';
import type { DigestLevel } from '../rpm/digest-level.js';
import type { Verdict } from '../rpm/verdict.js';
import type { FileIdentity } from '../fetch/temp-file.js';
import { disk } from '../fetch/disk-pace.js';
import { holdTempPath } from '../fetch/temp-file.js';
import { inDir } from './in-dir.js';
import { LockOwner } from './key-lock.js';
import { readKey, removeKeys, writeEntry } from './index-file.js';
import { contentFile, tmpName } from './layout.js';
import { storeKeys, type StoreKey } from './keys.js';
// Housekeeping (issue 12): listing, verification, the size limit, clearing, records of use.
import { clearStore, type ClearReport } from './clear.js';
import { listStore, type StoreEntry } from './entries.js';
import { touchUse } from './last-use.js';
import { pruneStore, type PruneReport } from './prune.js';
import { SizeLimit } from './size-limit.js';
import { verifyStore, type StoreVerifyOptions, type StoreVerifyReport } from './verify-store.js';
import type { VerifierTuning } from '../rpm/verifier.js';

const debug = createDebug('rpmfetch:cache');

/** What a content file looked like when it was stored. */
export interface RecordedStat {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What the index records of a stored package. */
export interface StoredFacts {
  readonly version: 1;
  /** Hex SHA-256 of the whole file (its content address). */
  readonly sha256: string;
  readonly size: number;
  readonly stat: RecordedStat;
  /** The verdict it earned when stored. */
  readonly verdict: Verdict;
  /** The digest level it was verified at. */
  readonly digestLevel: DigestLevel;
  /** When it was stored (ms since the epoch). */
  readonly stored: number;
}

/** A stored package found under one of a target's keys. */
export interface StoreHit {
  readonly key: StoreKey;
  /** The content file. */
  readonly file: string;
  readonly integrity: string;
  readonly facts: StoredFacts;
}

/** Store content files are read-only: a hard link placed from one shares its inode (see placement.ts). */
export const CONTENT_MODE = 0o444;

export function recordOf(s: Stats): RecordedStat {
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
}

const sri256 = (hex: string): string => `sha256-${Buffer.from(hex, 'hex').toString('base64')}`;

/**
 * A package store directory (see the module comment). Open one with `openCache` for housekeeping;
 * Downloaders make their own from the `cache` option.
 */
export class PackageStore {
  private readonly limit: SizeLimit | undefined;
  /** This process's download locks in the store (key-lock.ts). @internal */
  readonly locks: LockOwner;

  /** @param maxSize the size limit kept after each insert (bytes); none when undefined. */
  constructor(
    readonly dir: string,
    readonly maxSize: number | undefined = undefined,
  ) {
    this.limit = maxSize !== undefined ? new SizeLimit(dir, maxSize) : undefined;
    this.locks = new LockOwner(dir);
  }

  /** Lets go of what the store holds in the process (its locks' owner file). */
  close(): void {
    this.locks.close();
  }

  /** The entry under the first of `keys` that has one. @internal */
  async find(keys: readonly StoreKey[]): Promise<StoreHit | undefined> {
    for (const key of keys) {
      let facts: StoredFacts | undefined;
      try {
        // Read afresh each time: other processes write and evict.
        facts = await readKey(this.dir, key.key);
      } catch (err) {
        debug('index read of %s failed: %s', key.key, (err as Error).message);
        continue;
      }
      if (facts) return { key, file: contentFile(this.dir, facts.sha256), integrity: sri256(facts.sha256), facts };
    }
    return undefined;
  }

  /**
   * Stores a verified package from `file`: by a hard link (linkIn), else copied in through a hash with
   * the SHA-256 the verifier computed as their integrity: if the file changed since it verified, the
   * copy fails and nothing enters the store. Resolves to the hit a later lookup would get.
   * @internal
   */
  async insert(file: string, verdict: Verdict, path: string, digestLevel: DigestLevel, identity?: FileIdentity): Promise<StoreHit> {
    const sha256 = verdict.digests['file:sha256'];
    if (!verdict.ok || sha256 === undefined) throw new Error('only a verified package with its whole-file SHA-256 can be stored');
    const keys = storeKeys(verdict, path);
    const contentKey = keys[0] as StoreKey;
    const content = contentFile(this.dir, sha256);
    const linked = identity ? await this.linkIn(file, identity, content, verdict.size) : false;
    if (linked === false) await this.copyIn(file, sha256, content);
    const stats = typeof linked === 'object' ? linked : await disk.stat(content);
    const facts: StoredFacts = { version: 1, sha256, size: verdict.size, stat: recordOf(stats), verdict, digestLevel, stored: Date.now() };
    await writeEntry(this.dir, keys.map((k) => k.key), facts);
    debug('stored %s (%s) under %d keys', path, sha256, keys.length);
    return { key: contentKey, file: content, integrity: sri256(sha256), facts };
  }

  /**
   * Makes the verified file itself the store's content, by a hard link: no copy and no second hash.
   * Only the very file that was written and verified qualifies (`identity`: its device and inode, taken
   * before it was renamed into place), so a file put at the destination name since cannot slip in.
   * The file becomes read-only (the store's mode), as a package placed from the store by a link is.
   * Resolves to the content's stats when the link made it (read-only already), true when the same
   * content was there before, false when a link cannot be made (another file system) and the content
   * must be copied.
   */
  private async linkIn(file: string, identity: FileIdentity, content: string, size: number): Promise<Stats | boolean> {
    try {
      await inDir(dirname(content), () => disk.link(file, content));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Content already there (another process stored the same bytes) stays: it is the same bytes.
      if (code === 'EEXIST') return true;
      debug('%s: no link into the store (%s); copying', file, code);
      return false;
    }
    const linked = await disk.stat(content).catch(() => undefined);
    if (linked?.dev !== identity.dev || linked.ino !== identity.ino || linked.size !== size) {
      // No index entry leads here yet; an older one for the same bytes would see a changed file and
      // verify it again (hit-check.ts), so the wrong file is never used while it is briefly there.
      debug('%s is no longer the file that verified; copying it through a hash instead', file);
      if (linked) await disk.unlink(content).catch(() => undefined);
      return false;
    }
    // The mode is not part of what a hit compares (hit-check.ts): the stats taken before it are recorded.
    await disk.chmod(content, CONTENT_MODE);
    return linked;
  }

  /**
   * Copies `file` into the store through a hash: its bytes enter only if their SHA-256 is the one that
   * verified (a file changed since fails and nothing is stored).
   */
  private async copyIn(file: string, sha256: string, content: string): Promise<void> {
    const temp = tmpName(this.dir, 'copy');
    const release = holdTempPath(temp);
    try {
      const hash = createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      // Made first, not on ENOENT: a pipeline cannot be run again with the same streams.
      await mkdir(dirname(temp), { recursive: true });
      await pipeline(createReadStream(file), tap, createWriteStream(temp, { flags: 'wx', mode: CONTENT_MODE }));
      const got = hash.digest('hex');
      if (got !== sha256) throw new Error(`${file} changed since it verified (its SHA-256 is now ${got})`);
      await inDir(dirname(content), () => disk.link(temp, content)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    } finally {
      await disk.unlink(temp).catch(() => undefined);
      release();
    }
  }

  /** Removes a damaged entry: the key that led to it and its content (other keys then find nothing). @internal */
  async evict(hit: StoreHit): Promise<void> {
    debug('evicting %s (%s)', hit.key.key, hit.integrity);
    await removeKeys(this.dir, [hit.key.key]);
    await disk.unlink(hit.file).catch(() => undefined);
  }

  // Housekeeping (issue 12) from here on.

  /** Records a use of a hit now, for least-recently-used pruning (last-use.ts). @internal */
  async recordUse(hit: StoreHit): Promise<void> {
    await touchUse(this.dir, hit.facts.sha256);
  }

  /** Keeps the size limit after `bytes` were inserted (size-limit.ts); nothing without one. @internal */
  async afterInsert(bytes: number): Promise<PruneReport | undefined> {
    return this.limit?.afterInsert(bytes);
  }

  /** Every stored package, least recently used first. */
  async list(): Promise<StoreEntry[]> {
    return (await listStore(this.dir)).entries;
  }

  /**
   * Verifies every stored package in full (every digest; with `keys`, signatures too) and removes the
   * bad ones. Safe while other processes use the store.
   */
  async verify(options: StoreVerifyOptions = {}, tuning: VerifierTuning = {}): Promise<StoreVerifyReport> {
    return verifyStore(this.dir, options, tuning);
  }

  /**
   * Removes least recently used packages until at most `maxSize` bytes remain (default: the store's
   * own limit). Waits for a prune another process is running. Safe while other processes use the store.
   */
  async prune(maxSize?: number, signal?: AbortSignal): Promise<PruneReport> {
    const limit = maxSize ?? this.maxSize;
    if (limit === undefined) throw new Error('prune needs a size limit');
    return (await pruneStore(this.dir, limit, { wait: true, ...(signal && { signal }) })) as PruneReport;
  }

  /** Removes every stored package. Safe while other processes use the store. */
  async clear(): Promise<ClearReport> {
    return clearStore(this.dir);
  }
}
