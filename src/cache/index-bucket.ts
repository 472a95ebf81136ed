/**
 * The store's index and content paths in cacache's own on-disk format, read and appended here on the
 * download path; housekeeping (listing, removal, copies into the store) goes through cacache itself.
 *
 * Why not cacache's `get.info` and `index.insert` for every package: cacache takes about 70 ms to load,
 * a fifth of a warm-cache run, and runs each file operation through the thread pool, which on a machine
 * whose cores are busy costs the main thread a pool thread's wake-up per operation (docs/architecture.md,
 * "Performance"). Here reads run with the temporary files' disk pace (fetch/disk-pace.ts), synchronous
 * while the disk keeps up; appends, which mostly create a bucket file, go through the thread pool.
 *
 * The format (cacache 19, index version 5, content version 2): the key's SHA-256 in hex names a bucket
 * file `index-v5/<2>/<2>/<rest>`; each entry is appended as a line `\n<sha1 of json>\t<json>`; a line
 * whose hash does not match is skipped (a torn append); the last line for a key wins and one with a null
 * integrity removes it. Content lives at `content-v2/<algorithm>/<2>/<2>/<rest of hex digest>`.
 * test/cache.test.ts checks that cacache and this module read each other's entries and agree on paths.
 */
import { createHash } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { disk } from '../fetch/disk-pace.js';
import type { CacacheEntry } from './cacache.js';
import { inDir } from './in-dir.js';

const INDEX_DIR = 'index-v5';
const CONTENT_DIR = 'content-v2';

const hex = (algorithm: string, text: string): string => createHash(algorithm).update(text).digest('hex');
const segments = (h: string): string[] => [h.slice(0, 2), h.slice(2, 4), h.slice(4)];

/** The bucket file holding `key`'s entries. */
export function bucketPath(dir: string, key: string): string {
  return join(dir, INDEX_DIR, ...segments(hex('sha256', key)));
}

/** Where the content of a single-hash SRI (`sha256-<base64>`) lives. */
export function contentPath(dir: string, integrity: string): string {
  const m = /^([a-z0-9]+)-([A-Za-z0-9+/]+={0,2})$/.exec(integrity.trim());
  if (!m?.[1] || !m[2]) throw new Error(`not a single-hash integrity: ${integrity}`);
  return join(dir, CONTENT_DIR, m[1], ...segments(Buffer.from(m[2], 'base64').toString('hex')));
}

interface RawEntry {
  readonly key: string;
  readonly integrity: string | null;
  readonly time: number;
  readonly size?: number;
  readonly metadata?: unknown;
}

/** The entry of `key`, or null when it has none (never stored, removed, or its bucket is unreadable). */
export async function readEntry(dir: string, key: string): Promise<CacacheEntry | null> {
  const bucket = bucketPath(dir, key);
  let text: string;
  try {
    text = await disk.readText(bucket);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let latest: RawEntry | null = null;
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const json = line.slice(tab + 1);
    if (hex('sha1', json) !== line.slice(0, tab)) continue;
    let entry: RawEntry;
    try {
      entry = JSON.parse(json) as RawEntry;
    } catch {
      continue;
    }
    if (entry?.key === key) latest = entry;
  }
  if (!latest?.integrity) return null;
  return { key, integrity: latest.integrity, path: contentPath(dir, latest.integrity), size: latest.size, time: latest.time, metadata: latest.metadata };
}

/** Appends an entry for `key` (one `write` of one line with O_APPEND: concurrent appends do not interleave). */
export async function appendEntry(dir: string, key: string, integrity: string, size: number, metadata: unknown): Promise<void> {
  const bucket = bucketPath(dir, key);
  const json = JSON.stringify({ key, integrity, time: Date.now(), size, metadata });
  const line = `\n${hex('sha1', json)}\t${json}`;
  // Appends create bucket files (a new one for most keys): through the thread pool, see in-dir.ts.
  await inDir(dirname(bucket), () => appendFile(bucket, line));
}
