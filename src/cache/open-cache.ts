/** The package store opened for housekeeping from code: `openCache(dir)`. */
import { resolve } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import type { ClearReport } from './clear.js';
import type { StoreEntry } from './entries.js';
import type { PruneReport } from './prune.js';
import { PackageStore } from './store.js';
import type { StoreVerifyOptions, StoreVerifyReport } from './verify-store.js';

/** A package store's housekeeping, as {@link openCache} returns it. Every method is safe while other processes use the store. */
export interface PackageCache {
  /** The store's directory, absolute. */
  readonly dir: string;
  /** The size limit `prune()` applies without an argument, when one was given. */
  readonly maxSize: number | undefined;
  /** Every stored package (nevra, size, sha256, keys, stored time, last use), least recently used first. */
  list(): Promise<StoreEntry[]>;
  /** Verifies every stored package in full (with `keys`, signatures too); removes and reports the bad ones. */
  verify(options?: StoreVerifyOptions): Promise<StoreVerifyReport>;
  /** Removes least recently used packages until at most `maxSize` bytes (default: the cache's limit) remain. */
  prune(maxSize?: number, signal?: AbortSignal): Promise<PruneReport>;
  /** Removes every stored package. */
  clear(): Promise<ClearReport>;
}

/** Options of {@link openCache}. */
export interface OpenCacheOptions {
  /** The size limit, in bytes, `prune()` applies when called without one. */
  readonly maxSize?: number;
}

/**
 * Opens the package store at `dir` (the directory the `cache` option names) for housekeeping: list,
 * verify, prune, clear. See the README, "Sharing a cache between builds".
 */
export function openCache(dir: string, options: OpenCacheOptions = {}): PackageCache {
  if (typeof dir !== 'string' || dir.trim() === '') throw new InvalidOptionError('the cache must be a directory path');
  const { maxSize } = options;
  if (maxSize !== undefined && !(Number.isSafeInteger(maxSize) && maxSize >= 0)) throw new InvalidOptionError(`maxSize must be a whole number of bytes, got ${maxSize}`);
  return new PackageStore(resolve(dir), maxSize);
}
