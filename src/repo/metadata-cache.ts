/**
 * A Downloader's memory of primary files, for long-running agents that resolve again and again: keyed
 * by the checksum repomd.xml gives, so a hit is exactly the file the current repomd.xml describes
 * (repomd.xml itself is fetched fresh every time). A hit is checked and parsed again from memory, with
 * no request; only the last few files are kept.
 */

/** A primary file kept as received. */
export interface CachedFile {
  readonly chunks: readonly Buffer[];
  /** Where it came from. */
  readonly url: string;
  readonly mirror: string;
}

export class MetadataCache {
  private readonly entries = new Map<string, CachedFile>();

  constructor(private readonly capacity = 2) {}

  /** The file with this checksum (`type:hex`), if kept. */
  get(key: string): CachedFile | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, file: CachedFile): void {
    this.entries.delete(key);
    this.entries.set(key, file);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
