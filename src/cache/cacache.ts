/**
 * The part of npm's cacache the package store uses for housekeeping and for copies into the store,
 * typed here (cacache ships no declarations). Loaded on first use: downloads and hits read and append
 * the index themselves (index-bucket.ts), so most processes never load it.
 */
import { createRequire } from 'node:module';

/** An index entry as cacache returns it. */
export interface CacacheEntry {
  readonly key: string;
  readonly integrity: string;
  /** Path of the content file. */
  readonly path: string;
  readonly size: number | undefined;
  readonly time: number;
  readonly metadata: unknown;
}

/** What cacache's put resolves to. */
export interface CacachePutResult {
  readonly integrity: { toString(): string };
  readonly size: number;
}

/** A stream into cacache's content store (a minipass stream with an end that takes a callback). */
export interface CacacheWriteStream extends NodeJS.WritableStream {
  on(event: 'integrity', listener: (integrity: { toString(): string }) => void): this;
  on(event: string, listener: (...args: unknown[]) => void): this;
}

export interface Cacache {
  get: {
    info(cache: string, key: string, opts?: { memoize?: boolean }): Promise<CacacheEntry | null>;
    hasContent(cache: string, integrity: string): Promise<false | { size: number; sri: unknown }>;
  };
  put: {
    stream(cache: string, key: string, opts: { integrity?: string; size?: number; algorithms?: string[]; metadata?: unknown; memoize?: boolean }): CacacheWriteStream;
  };
  index: {
    insert(cache: string, key: string, integrity: string, opts: { size?: number; metadata?: unknown }): Promise<CacacheEntry>;
  };
  ls(cache: string): Promise<Record<string, CacacheEntry>>;
  rm: {
    entry(cache: string, key: string, opts?: { removeFully?: boolean }): Promise<unknown>;
    content(cache: string, integrity: string): Promise<unknown>;
    all(cache: string): Promise<unknown>;
  };
}

let module: Cacache | undefined;

/** cacache, loaded once. */
export function cacache(): Cacache {
  module ??= createRequire(import.meta.url)('cacache') as Cacache;
  return module;
}
