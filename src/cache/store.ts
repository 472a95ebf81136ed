/**
 * The package store: a content-addressed directory (npm's cacache, content named by its SHA-256)
 * holding only packages that verified, with index entries under every key a later target may know
 * (keys.ts). Each entry records what the content file looked like when it was stored (device, inode,
 * size, mtime) and the verdict it earned, so that a hit can be trusted without hashing again while
 * the file is unchanged (hit-check.ts).
 */
import { createReadStream, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import createDebug from 'debug';
import type { DigestLevel } from '../rpm/digest-level.js';
import type { Verdict } from '../rpm/verdict.js';
import type { FileIdentity } from '../fetch/temp-file.js';
import { disk } from '../fetch/disk-pace.js';
import { cacache, type CacacheEntry } from './cacache.js';
import { inDir } from './in-dir.js';
import { appendEntry, contentPath, readEntry } from './index-bucket.js';
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

function isFacts(value: unknown): value is StoredFacts {
  const f = value as Partial<StoredFacts> | null;
  return !!f && f.version === 1 && typeof f.sha256 === 'string' && typeof f.size === 'number' && !!f.stat && !!f.verdict && f.verdict.ok === true;
}

const sri256 = (hex: string): string => `sha256-${Buffer.from(hex, 'hex').toString('base64')}`;

/**
 * A package store directory (see the module comment). Open one with `openCache` for housekeeping;
 * Downloaders make their own from the `cache` option.
 */
export class PackageStore {
  private readonly limit: SizeLimit | undefined;

  /** @param maxSize the size limit kept after each insert (bytes); none when undefined. */
  constructor(
    readonly dir: string,
    readonly maxSize: number | undefined = undefined,
  ) {
    this.limit = maxSize !== undefined ? new SizeLimit(dir, maxSize) : undefined;
  }

  /** The entry under the first of `keys` that has one whose content exists. @internal */
  async find(keys: readonly StoreKey[]): Promise<StoreHit | undefined> {
    for (const key of keys) {
      let entry: CacacheEntry | null;
      try {
        // Read afresh each time: other processes write and evict.
        entry = await readEntry(this.dir, key.key);
      } catch (err) {
        debug('index read of %s failed: %s', key.key, (err as Error).message);
        continue;
      }
      if (!entry?.integrity || !isFacts(entry.metadata)) continue;
      return { key, file: entry.path, integrity: entry.integrity, facts: entry.metadata };
    }
    return undefined;
  }

  /**
   * Stores a verified package from `file`. The bytes are copied into the store through cacache with
   * the SHA-256 the verifier computed as their integrity: if the file changed since it verified, the
   * copy fails and nothing enters the store. Resolves to the hit a later lookup would get.
   * @internal
   */
  async insert(file: string, verdict: Verdict, path: string, digestLevel: DigestLevel, identity?: FileIdentity): Promise<StoreHit> {
    const sha256 = verdict.digests['file:sha256'];
    if (!verdict.ok || sha256 === undefined) throw new Error('only a verified package with its whole-file SHA-256 can be stored');
    const keys = storeKeys(verdict, path);
    const contentKey = keys[0] as StoreKey;
    const integrity = sri256(sha256);
    const linked = identity ? await this.linkIn(file, identity, integrity, verdict.size) : false;
    if (linked === false) {
      await pipeline(createReadStream(file), cacache().put.stream(this.dir, contentKey.key, { integrity, size: verdict.size, algorithms: ['sha256'], memoize: false }));
    }
    const content = contentPath(this.dir, integrity);
    let stats: Stats;
    if (typeof linked === 'object') stats = linked;
    else {
      await disk.chmod(content, CONTENT_MODE);
      stats = await disk.stat(content);
    }
    const facts: StoredFacts = { version: 1, sha256, size: verdict.size, stat: recordOf(stats), verdict, digestLevel, stored: Date.now() };
    // The content key last: an entry without facts is never used, so until the last line lands a
    // lookup by that key falls back to the weaker keys or misses.
    for (const key of [...keys.slice(1), contentKey]) await appendEntry(this.dir, key.key, integrity, verdict.size, facts);
    await touchUse(this.dir, sha256);
    debug('stored %s (%s) under %d keys', path, integrity, keys.length);
    return { key: contentKey, file: content, integrity, facts };
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
  private async linkIn(file: string, identity: FileIdentity, integrity: string, size: number): Promise<Stats | boolean> {
    const target = contentPath(this.dir, integrity);
    const tmp = join(this.dir, 'tmp', `link-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await inDir(dirname(tmp), () => disk.link(file, tmp));
    } catch (err) {
      debug('%s: no link into the store (%s); copying', file, (err as NodeJS.ErrnoException).code);
      return false;
    }
    try {
      const linked = await disk.stat(tmp);
      if (linked.dev !== identity.dev || linked.ino !== identity.ino || linked.size !== size) {
        debug('%s is no longer the file that verified; copying it through a hash instead', file);
        return false;
      }
      await disk.chmod(tmp, CONTENT_MODE);
      // Content already there (another process stored the same bytes) stays: it is the same bytes.
      const made = await inDir(dirname(target), () => disk.link(tmp, target)).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
          return false;
        },
      );
      return made ? linked : true;
    } finally {
      await disk.unlink(tmp).catch(() => undefined);
    }
  }

  /** Removes a damaged entry: the key that led to it and its content (other keys then find nothing). @internal */
  async evict(hit: StoreHit): Promise<void> {
    debug('evicting %s (%s)', hit.key.key, hit.integrity);
    await cacache().rm.entry(this.dir, hit.key.key).catch(() => undefined);
    await cacache().rm.content(this.dir, hit.integrity).catch(() => undefined);
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
