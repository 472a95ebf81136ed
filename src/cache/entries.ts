/**
 * What the store holds, one entry per content file: read from the content directory itself (so that
 * content no index entry names, as an insert cut short by a full disk leaves, is counted and can be
 * pruned) joined with cacache's index (the keys that lead to each content and the facts recorded at
 * insert). Index entries whose content is gone are returned apart: they find nothing a hit could use.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacache, type CacacheEntry } from './cacache.js';
import { lastUse } from './last-use.js';
import type { StoredFacts } from './store.js';

/** One stored package. */
export interface StoreEntry {
  /** Hex SHA-256 of the whole file: its content address. */
  readonly sha256: string;
  /** The content file. */
  readonly file: string;
  /** Its size on disk, in bytes. */
  readonly size: number;
  /** The package's N-E:V-R.A as recorded when stored; undefined for content no index entry describes. */
  readonly nevra: string | undefined;
  /** The index keys that lead to it (none: content whose insert did not finish; pruned like any other). */
  readonly keys: readonly string[];
  /** When it was stored (ms since the epoch): recorded at insert, else the content file's mtime. */
  readonly stored: number;
  /** Its last use (ms since the epoch): the last hit or insert, else {@link StoreEntry.stored}. */
  readonly lastUse: number;
}

/** The store's content and the index keys whose content is gone. */
export interface StoreListing {
  readonly entries: StoreEntry[];
  readonly dangling: readonly string[];
}

const CONTENT = join('content-v2', 'sha256');

/** The hex SHA-256 an SRI string names, if it names one. */
export function sha256OfIntegrity(integrity: string): string | undefined {
  const m = /(?:^|\s)sha256-([A-Za-z0-9+/]+={0,2})/.exec(integrity);
  return m?.[1] ? Buffer.from(m[1], 'base64').toString('hex') : undefined;
}

const names = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);

/** The content files, by hex SHA-256 (cacache's layout: `content-v2/sha256/ab/cd/rest`). */
async function contentFiles(dir: string): Promise<Map<string, { file: string; size: number; mtimeMs: number }>> {
  const out = new Map<string, { file: string; size: number; mtimeMs: number }>();
  const root = join(dir, CONTENT);
  for (const a of await names(root)) {
    for (const b of await names(join(root, a))) {
      for (const rest of await names(join(root, a, b))) {
        const file = join(root, a, b, rest);
        // Gone since the listing (another process pruned it): simply not there.
        const s = await stat(file).catch(() => undefined);
        if (s?.isFile()) out.set(`${a}${b}${rest}`, { file, size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  }
  return out;
}

/** cacache's index, read while others may be clearing it: a directory vanishing mid-read is read again. */
async function indexEntries(dir: string): Promise<CacacheEntry[]> {
  for (let round = 0; ; round++) {
    try {
      return Object.values(await cacache().ls(dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || round >= 3) throw err;
    }
  }
}

function factsOf(e: CacacheEntry): StoredFacts | undefined {
  const f = e.metadata as Partial<StoredFacts> | null;
  return f && f.version === 1 && typeof f.stored === 'number' ? (f as StoredFacts) : undefined;
}

/** Every entry of the store at `dir`, least recently used first. */
export async function listStore(dir: string): Promise<StoreListing> {
  const [files, index] = await Promise.all([contentFiles(dir), indexEntries(dir)]);
  const byContent = new Map<string, CacacheEntry[]>();
  const dangling: string[] = [];
  for (const e of index) {
    const sha256 = e.integrity ? sha256OfIntegrity(e.integrity) : undefined;
    if (sha256 === undefined || !files.has(sha256)) {
      dangling.push(e.key);
      continue;
    }
    byContent.set(sha256, [...(byContent.get(sha256) ?? []), e]);
  }
  const entries: StoreEntry[] = [];
  for (const [sha256, f] of files) {
    const keys = byContent.get(sha256) ?? [];
    const facts = keys.map(factsOf).find((x) => x !== undefined);
    const stored = facts?.stored ?? f.mtimeMs;
    entries.push({
      sha256,
      file: f.file,
      size: f.size,
      nevra: facts?.verdict.rpm?.nevra,
      keys: keys.map((k) => k.key).sort(),
      stored,
      lastUse: (await lastUse(dir, sha256)) ?? stored,
    });
  }
  entries.sort((a, b) => a.lastUse - b.lastUse || a.sha256.localeCompare(b.sha256));
  return { entries, dangling };
}
