/**
 * What a resolve keeps of the primary file: for each reading of each query, the one package
 * `choosePackage` would pick, worked out as the packages stream past. choosePackage scans the
 * packages in file order keeping the best match so far; this runs that same scan for every reading at
 * once, so its answer is the one keeping every package would give, while a file listing one name a
 * million times costs a handful of entries.
 */
import type { EntrySink, PrimaryEntry } from './primary-parser.js';
import { beats, matches, readQuery, type Reading } from './query.js';

/** Arches a "not found" hint lists per query, at most. */
const HINT_ARCHES = 16;

interface Scan {
  readonly reading: Reading;
  best: PrimaryEntry | undefined;
}

export class QueryChoices implements EntrySink {
  /** Each query's scans, one per reading, most specific first. */
  private readonly byQuery = new Map<string, Scan[]>();
  /** The scans a package of this name may take part in. */
  private readonly byName = new Map<string, Scan[]>();
  /** The arches seen for the names each query could mean (for "it exists for …"). */
  private readonly hints = new Map<string, Set<string>>();
  /** The hint sets a package of this name adds its arch to. */
  private readonly hintsByName = new Map<string, Set<string>[]>();

  constructor(
    queries: readonly string[],
    private readonly arches: readonly string[],
  ) {
    for (const query of new Set(queries)) {
      const scans = readQuery(query).map((reading): Scan => ({ reading, best: undefined }));
      this.byQuery.set(query, scans);
      const hint = new Set<string>();
      for (const scan of scans) {
        const name = scan.reading.name;
        this.byName.set(name, [...(this.byName.get(name) ?? []), scan]);
        const hints = this.hintsByName.get(name) ?? [];
        if (!hints.includes(hint)) this.hintsByName.set(name, [...hints, hint]);
      }
      this.hints.set(query, hint);
    }
  }

  wants(name: string): boolean {
    return this.byName.has(name);
  }

  add(entry: PrimaryEntry): void {
    for (const scan of this.byName.get(entry.name) ?? []) {
      if (matches(scan.reading, entry, this.arches) && (!scan.best || beats(entry, scan.best, this.arches))) scan.best = entry;
    }
    for (const hint of this.hintsByName.get(entry.name) ?? []) {
      if (hint.size < HINT_ARCHES) hint.add(entry.arch);
    }
  }

  /** Packages held: at most one per reading of each query. */
  get kept(): number {
    const held = new Set<PrimaryEntry>();
    for (const scans of this.byQuery.values()) for (const s of scans) if (s.best) held.add(s.best);
    return held.size;
  }

  /** The package `query` means: the first reading with a match, and its best match. */
  choose(query: string): PrimaryEntry | undefined {
    for (const scan of this.byQuery.get(query) ?? []) if (scan.best) return scan.best;
    return undefined;
  }

  /** The arches the names `query` could mean exist for, in file order (the first 16). */
  archesOf(query: string): string[] {
    return [...(this.hints.get(query) ?? [])];
  }
}
