/**
 * What the store holds, one entry per content file: read from the content directory itself (so that
 * content no index entry names, as an insert cut short by a full disk leaves, is counted and can be
 * pruned) joined with the index (the facts files and the keys that lead to each, index-file.ts). Index
 * names whose content is gone are returned apart: they find nothing a hit could use.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseFacts, type IndexedFacts } from './index-file.js';
import { CONTENT_DIR, INDEX_DIR, keyFile } from './layout.js';

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
  /** The inode of its facts file: removal leaves alone a key re-pointed to another package since. @internal */
  readonly factsIno?: number | undefined;
}

/** The store's content and the index keys whose content is gone. */
export interface StoreListing {
  readonly entries: StoreEntry[];
  /** Paths of index names whose facts are unreadable or whose content is gone. */
  readonly dangling: readonly string[];
}

const names = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);

interface FileFacts {
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** The files of a flat directory of the store, by name. Gone since the listing (pruned by another process): simply not there. */
async function filesOf(dir: string): Promise<Map<string, FileFacts>> {
  const out = new Map<string, FileFacts>();
  for (const name of await names(dir)) {
    const file = join(dir, name);
    const s = await stat(file).catch(() => undefined);
    if (s?.isFile()) out.set(name, { file, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
  }
  return out;
}

/** A facts file and the index names that lead to it. */
interface IndexedFile {
  readonly facts: IndexedFacts | undefined;
  readonly mtimeMs: number;
  readonly names: string[];
}

/** The facts file behind each index name, by inode, each read once. */
async function indexEntries(dir: string): Promise<Map<number, IndexedFile>> {
  const byIno = new Map<number, IndexedFile>();
  for (const [, f] of await filesOf(join(dir, INDEX_DIR))) {
    let entry = byIno.get(f.ino);
    if (!entry) {
      const text = await readFile(f.file, 'utf8').catch(() => undefined);
      entry = { facts: text === undefined ? undefined : parseFacts(text), mtimeMs: f.mtimeMs, names: [] };
      byIno.set(f.ino, entry);
    }
    entry.names.push(f.file);
  }
  return byIno;
}

/** Every entry of the store at `dir`, least recently used first. */
export async function listStore(dir: string): Promise<StoreListing> {
  const [files, byIno] = await Promise.all([filesOf(join(dir, CONTENT_DIR)), indexEntries(dir)]);
  const byContent = new Map<string, IndexedFile & { readonly facts: IndexedFacts; readonly ino: number }>();
  const dangling: string[] = [];
  for (const [ino, e] of byIno) {
    if (!e.facts || !files.has(e.facts.sha256)) {
      dangling.push(...e.names);
      continue;
    }
    const seen = byContent.get(e.facts.sha256);
    // Two facts files for one content (stored twice at once by two processes): the newer one counts.
    if (!seen || seen.facts.stored < e.facts.stored) byContent.set(e.facts.sha256, { facts: e.facts, mtimeMs: e.mtimeMs, names: e.names, ino });
  }
  const entries: StoreEntry[] = [];
  for (const [sha256, f] of files) {
    const indexed = byContent.get(sha256);
    const stored = indexed?.facts.stored ?? f.mtimeMs;
    const names = new Set(indexed?.names ?? []);
    entries.push({
      sha256,
      file: f.file,
      size: f.size,
      nevra: indexed?.facts.verdict.rpm?.nevra,
      keys: (indexed?.facts.keys ?? []).filter((k) => names.has(keyFile(dir, k))).sort(),
      stored,
      lastUse: Math.max(indexed?.mtimeMs ?? stored, stored),
      factsIno: indexed?.ino,
    });
  }
  entries.sort((a, b) => a.lastUse - b.lastUse || a.sha256.localeCompare(b.sha256));
  return { entries, dangling };
}
