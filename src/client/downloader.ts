/**
 * Downloaders: many targets sharing mirrors (their health, connection slots and keep-alive connections),
 * with a limit on targets in flight. The Downloader owns what its downloads share (the HTTP client, the
 * mirror set, batch buffers, the metadata cache) and closes it with itself. `download()`,
 * `downloadAll()` and `resolvePackages()` are one-shot Downloaders.
 */
import { DownloadError, InvalidOptionError, RpmfetchError } from '../errors.js';
import type { FetchContext } from '../fetch/fetch-file.js';
import type { Mirror, MirrorSnapshot } from '../fetch/mirror.js';
import { MirrorSet } from '../fetch/mirror-set.js';
import { BatchBuffers } from '../fetch/package-sink.js';
import { SourceOpener } from '../fetch/source-opener.js';
import { normalizeTarget, type NormalizedTarget, type Target } from '../fetch/target.js';
import type { MetadataCache } from '../repo/metadata-cache.js';
import type { DiskMetadataUse } from '../repo/metadata-store.js';
import type { MetadataContext } from '../repo/metadata-fetch.js';
import type { Keyring } from '../rpm/keyring.js';
import type { Resolution, ResolveOptions } from '../repo/resolve.js';
import type { HttpClient } from '../transport/index.js';
import { HashWorkers } from '../workers/hash-workers.js';
import { PackageStore } from '../cache/store.js';
import { Lanes } from '../fetch/lanes/lanes.js';
import { laneInit } from './lane-settings.js';
import { BatchTotals } from './batch-totals.js';
import { DispatchQueue } from './dispatch-order.js';
import type { DownloadEvent } from './events.js';
import { resolveOptions, safeEmitter, type DownloaderOptions, type ResolvedOptions } from './options.js';
import { downloadPackage, placeFromStore, type PackageContext } from './package-download.js';
import type { DownloadResult } from './result.js';
import { Slots } from './slots.js';
import { extend } from '../extend.js';

/** Per-call options of a Downloader's methods. */
export interface CallOptions {
  /** Stops this call (the Downloader stays usable). */
  signal?: AbortSignal;
  /** Events of this call, besides the Downloader's own listener. */
  onEvent?: (event: DownloadEvent) => void;
}

/** One target's outcome in a batch. */
export type BatchItem =
  | {
      /** The target's path (or URL) as given. */
      readonly target: string;
      /** The target was downloaded and verified. */
      readonly ok: true;
      /** The verified file. */
      readonly result: DownloadResult;
    }
  | {
      /** The target's path (or URL) as given. */
      readonly target: string;
      /** The target failed. */
      readonly ok: false;
      /** Why: a {@link DownloadError} listing every attempt, or an {@link InvalidOptionError} raised before any request. */
      readonly error: RpmfetchError;
    };

/** The outcome of a batch: one item per target, in the order given. */
export interface BatchResult {
  /** One item per target, in the order given. */
  readonly items: readonly BatchItem[];
  /** Targets downloaded and verified (cached ones included). */
  readonly succeeded: number;
  /** Targets that failed (aborted ones included). */
  readonly failed: number;
  /** Bytes of the verified files (cached ones included). */
  readonly bytes: number;
  /** Milliseconds the batch took. */
  readonly duration: number;
}

/** The outcome of a batch from its items, in target order; `started` is when it began (performance.now()). */
export function batchResult(items: readonly BatchItem[], started: number): BatchResult {
  const succeeded = items.filter((i) => i.ok).length;
  const bytes = items.reduce((n, i) => n + (i.ok ? i.result.size : 0), 0);
  return { items, succeeded, failed: items.length - succeeded, bytes, duration: performance.now() - started };
}

/** A long-lived downloader. Close it when done to free its connections. */
export interface Downloader {
  /** Downloads one target (waiting for a free slot if `concurrency` targets are in flight). */
  download(target: string | Target, options?: CallOptions): Promise<DownloadResult>;
  /**
   * Downloads many targets; one failure does not stop the rest unless `failFast`. Never rejects for a
   * target's failure. Items come in the order given; when every size is known, downloads start largest first,
   * with one slot (of two or more) working from the smallest up.
   */
  downloadAll(targets: ReadonlyArray<string | Target>, options?: CallOptions & { failFast?: boolean }): Promise<BatchResult>;
  /**
   * Resolves package queries (`NAME`, `NAME.ARCH`, `N-[E:]V-R[.A]`) through the mirrors' repository
   * metadata into targets carrying size, checksum and NEVRA. Rejects with a `DownloadError` when no
   * mirror serves usable metadata; an unknown name is an item with `ok: false` (`ERR_NOT_IN_REPO`).
   */
  resolve(queries: readonly string[], options?: CallOptions & ResolveOptions): Promise<Resolution>;
  /**
   * Reads public keys from URLs, as a .repo file's `gpgkey` gives them: `file://` from the disk,
   * `http(s)://` through this Downloader (its retries, proxy and TLS), each at most 1 MiB. For a
   * Downloader of its own: keys are fixed when a Downloader is created. Rejects with
   * `InvalidOptionError` for a key that cannot be read or is not an OpenPGP public key.
   */
  readKeys(urls: readonly string[], options?: CallOptions): Promise<Keyring>;
  /** Mirror health, in the current order of preference, for diagnostics. */
  mirrors(): MirrorSnapshot[];
  /**
   * Adds a mirror base to the Downloader's order (at the end, or at `position`): the next attempt of every
   * download, running ones included, may use it. Adding a base already there changes nothing.
   * Throws `InvalidOptionError` for a base that is not an http(s) or file URL.
   */
  addMirror(base: string | URL, position?: number): void;
  /** Drops a mirror base: no new attempt goes to it (requests running finish). False when it was not there. */
  dropMirror(base: string | URL): boolean;
  /** Closes every connection and worker thread. In-flight downloads finish first only if awaited. */
  close(): void;
}

/** What the Downloader uses of the repository layer. */
interface RepoLayer {
  readonly resolveQueries: typeof import('../repo/resolve.js').resolveQueries;
  readonly fetchKeys: typeof import('../repo/key-fetch.js').fetchKeys;
  readonly metadataCache: MetadataCache | undefined;
  readonly diskMetadata: DiskMetadataUse | undefined;
}

class DownloaderImpl implements Downloader {
  private readonly options: ResolvedOptions;
  /** The HTTP client, made at the first HTTP request (see httpClient). */
  private http: HttpClient | undefined;
  private httpLoading: Promise<HttpClient> | undefined;
  private closed = false;
  private readonly opener: SourceOpener;
  private readonly set: MirrorSet;
  private readonly buffers = new BatchBuffers();
  /** Hashing threads shared by every verification of this Downloader (started when a package pays for one). */
  private readonly hashWorkers = new HashWorkers();
  /** Threads that hold package transfers, so that a batch's per-package work runs on every core. */
  private readonly lanes: Lanes | undefined;
  private readonly slots: Slots;
  private readonly emitOwn: (event: DownloadEvent) => void;
  private readonly signal: AbortSignal | undefined;
  /** The repository layer (resolve, keys, metadata caches), loaded at its first use (see repoLayer). */
  private repo: Promise<RepoLayer> | undefined;
  private readonly keepMetadata: boolean;
  /** The package store (the `cache` option), shared with other processes through its directory. */
  private readonly store: PackageStore | undefined;
  /** Mirrors that targets name for themselves, by base: they share health across those targets. */
  private readonly ownMirrors = new Map<string, Mirror>();

  constructor(options: DownloaderOptions) {
    this.signal = options.signal;
    this.options = resolveOptions(options);
    const o = this.options;
    this.opener = new SourceOpener(() => this.httpClient(), { maxRedirects: o.maxRedirects, allowInsecureRedirects: o.allowInsecureRedirects, ...o.request });
    this.set = new MirrorSet(o.health, o.mirrors);
    this.lanes = o.lanes > 0 ? new Lanes(o.lanes, laneInit(o)) : undefined;
    this.slots = new Slots(o.concurrency);
    this.emitOwn = safeEmitter(options.onEvent);
    this.keepMetadata = options.metadataCache !== false;
    this.store = o.cache !== undefined ? new PackageStore(o.cache, o.cacheMaxSize) : undefined;
  }

  /**
   * The repository layer, loaded when first needed: a Downloader given packages alone (a manifest, a
   * warm cache) never loads the metadata parsers, decoders and their XML library, a fifth of the modules
   * the command line would otherwise load before its first request.
   */
  private repoLayer(): Promise<RepoLayer> {
    this.repo ??= (async () => {
      const o = this.options;
      const [{ MetadataCache }, { RepoMetadataStore }, { resolveQueries }, { fetchKeys }] = await Promise.all([
        import('../repo/metadata-cache.js'),
        import('../repo/metadata-store.js'),
        import('../repo/resolve.js'),
        import('../repo/key-fetch.js'),
      ]);
      return {
        resolveQueries,
        fetchKeys,
        metadataCache: this.keepMetadata ? new MetadataCache() : undefined,
        diskMetadata: o.cache !== undefined ? { store: new RepoMetadataStore(o.cache), expire: o.metadataExpire, cacheOnly: o.cacheOnly } : undefined,
      };
    })();
    return this.repo;
  }

  /**
   * The HTTP client, its module loaded at the first HTTP request: a run that places every package from
   * the store (or reads only file:// mirrors) never loads the transport and its TLS stack.
   */
  private httpClient(): HttpClient | Promise<HttpClient> {
    if (this.http) return this.http;
    this.httpLoading ??= import('../transport/client.js').then(({ HttpClient }) => {
      const o = this.options;
      const client = new HttpClient({ proxy: o.proxy, userAgent: o.userAgent, ...(o.tls && { tls: o.tls }) });
      // Closed while the module loaded: the client is made closed, so nothing it opens outlives close().
      if (this.closed) client.close();
      this.http = client;
      return client;
    });
    return this.httpLoading;
  }

  private fetchContext(emit: (e: DownloadEvent) => void): FetchContext {
    return { policy: this.options.fetch, set: this.set, emit };
  }

  /** Where a target's bytes may come from: its own URL, its own mirrors, or the Downloader's. */
  private mirrorsOf(target: NormalizedTarget): () => readonly Mirror[] {
    if (target.url) {
      // An absolute URL is its own single source.
      const mirror = this.set.create(target.url);
      return () => [mirror];
    }
    if (target.mirrors) {
      const own = target.mirrors.map((url) => {
        let mirror = this.ownMirrors.get(url.href) ?? this.set.mirrors.find((m) => m.base.href === url.href);
        if (!mirror) this.ownMirrors.set(url.href, (mirror = this.set.create(url)));
        return mirror;
      });
      return () => own;
    }
    // Mirrors retired for their failures leave a DownloadError that says so (fetch-file.ts), not a usage error.
    // Cache-only needs no mirror: a package the store lacks fails with ERR_NOT_CACHED instead.
    if (this.set.mirrors.length === 0 && this.set.retired.size === 0 && !this.options.cacheOnly) throw new InvalidOptionError(`no mirrors to download ${target.path} from`);
    return () => this.set.mirrors;
  }

  private packageContext(target: NormalizedTarget, emit: (e: DownloadEvent) => void): PackageContext {
    return { options: this.options, fetch: this.fetchContext(emit), opener: this.opener, buffers: this.buffers, hashWorkers: this.hashWorkers, lanes: this.lanes, store: this.store, mirrors: this.mirrorsOf(target), emit };
  }

  private emitter(call?: (event: DownloadEvent) => void): (event: DownloadEvent) => void {
    const own = this.emitOwn;
    const theirs = safeEmitter(call);
    return (event) => {
      own(event);
      theirs(event);
    };
  }

  async download(target: string | Target, options: CallOptions = {}): Promise<DownloadResult> {
    const t = normalizeTarget(target);
    return this.run(t, this.emitter(options.onEvent), options.signal);
  }

  /** The Downloader's own signal combined with a call's. */
  private combined(call?: AbortSignal): AbortSignal | undefined {
    if (!this.signal) return call;
    return call ? AbortSignal.any([this.signal, call]) : this.signal;
  }

  /** One target under the Downloader's concurrency limit. */
  private async run(target: NormalizedTarget, emit: (e: DownloadEvent) => void, callSignal?: AbortSignal): Promise<DownloadResult> {
    const context = this.packageContext(target, emit);
    const signal = this.combined(callSignal);
    // A package the store has is placed without waiting for a slot: the slots bound downloads.
    const stored = await placeFromStore(target, context, signal);
    if (typeof stored === 'object') return stored;
    try {
      await this.slots.take(signal);
    } catch (err) {
      const error = new DownloadError('ERR_ABORTED', target.path, 'aborted before it started', [], { cause: err });
      emit({ type: 'failed', target: target.path, error });
      throw error;
    }
    let held = true;
    // The slot goes back as soon as the bytes are in: storing them in the cache is file work that the
    // next download need not wait for.
    const release = (): void => {
      if (!held) return;
      held = false;
      this.slots.give();
    };
    try {
      return await downloadPackage(target, extend(context, { downloaded: release }), signal, stored === 'miss');
    } finally {
      release();
    }
  }

  async downloadAll(targets: ReadonlyArray<string | Target>, options: CallOptions & { failFast?: boolean } = {}): Promise<BatchResult> {
    const normalized = targets.map((t) => normalizeTarget(t));
    // Every lane booted before the first request: a batch's first requests then start together, and a
    // slow boot of one lane cannot make its mirror look slower than another.
    await this.lanes?.prewarm(normalized.length);
    const started = performance.now();
    const totals = new BatchTotals(normalized.length, this.emitter(options.onEvent), started);
    const failFast = options.failFast ?? this.options.failFast;
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const items: BatchItem[] = new Array(normalized.length);
    for (const t of normalized) totals.emit({ type: 'queued', target: t.path });
    const runners = Math.min(this.options.concurrency, normalized.length);
    const queue = DispatchQueue.of(normalized, runners);
    const runner = async (slot: number): Promise<void> => {
      for (let i = queue.take(slot); i !== undefined; i = queue.take(slot)) {
        const target = normalized[i] as NormalizedTarget;
        try {
          const result = await this.run(target, totals.emit, signal);
          items[i] = { target: target.path, ok: true, result };
        } catch (err) {
          const error = err instanceof RpmfetchError ? err : new DownloadError('ERR_ALL_MIRRORS_FAILED', target.path, String(err), []);
          items[i] = { target: target.path, ok: false, error };
          if (failFast && !stop.signal.aborted) stop.abort(new Error(`failFast: ${target.path} failed`));
        }
      }
    };
    // As many runners as targets may be in flight: 10 000 targets cost 10 000 small result objects, not
    // 10 000 pending downloads.
    await Promise.all(Array.from({ length: runners }, (_, slot) => runner(slot)));
    totals.flush();
    return batchResult(items, started);
  }

  private metadataContext(emit: (e: DownloadEvent) => void): MetadataContext {
    return {
      fetch: this.fetchContext(emit),
      opener: this.opener,
      mirrors: () => this.set.mirrors,
      offload: this.options.offload !== false,
      emit,
      // Mirrors a metalink or mirrorlist names (ResolveOptions.metalink, .mirrorlist) join this Downloader's.
      addMirror: (base) => void this.set.add(base),
    };
  }

  async resolve(queries: readonly string[], options: CallOptions & ResolveOptions = {}): Promise<Resolution> {
    const repo = await this.repoLayer();
    const context = this.metadataContext(this.emitter(options.onEvent));
    return repo.resolveQueries(queries, options, context, this.options.keys, this.combined(options.signal), repo.metadataCache, repo.diskMetadata);
  }

  async readKeys(urls: readonly string[], options: CallOptions = {}): Promise<Keyring> {
    const repo = await this.repoLayer();
    const context = this.metadataContext(this.emitter(options.onEvent));
    return (await repo.fetchKeys(urls, context, this.combined(options.signal))).keyring;
  }

  mirrors(): MirrorSnapshot[] {
    return this.set.snapshot();
  }

  addMirror(base: string | URL, position?: number): void {
    this.set.add(base, position);
  }

  dropMirror(base: string | URL): boolean {
    return this.set.drop(base);
  }

  close(): void {
    this.closed = true;
    this.http?.close();
    this.store?.close();
    void this.hashWorkers.close();
    void this.lanes?.close();
  }
}

/**
 * Creates a Downloader: targets share mirror health, connection slots and keep-alive connections.
 * `options.signal` stops everything it runs; `options.onEvent` hears every event.
 */
export function createDownloader(options: DownloaderOptions): Downloader {
  return new DownloaderImpl(options);
}

/**
 * Downloads one target. Resolves with a verified file in place; rejects with {@link DownloadError}
 * (or `InvalidOptionError` for malformed options, before any request).
 */
export async function download(target: string | Target, options: DownloaderOptions): Promise<DownloadResult> {
  const downloader = createDownloader(options);
  try {
    return await downloader.download(target);
  } finally {
    downloader.close();
  }
}

/** Resolves package queries through the mirrors' repository metadata; see {@link Downloader.resolve}. */
export async function resolvePackages(queries: readonly string[], options: DownloaderOptions & ResolveOptions): Promise<Resolution> {
  // One resolve: nothing to keep the primary file for.
  const downloader = createDownloader({ metadataCache: false, ...options });
  try {
    const { arch, repoPath, repoGpgcheck, maxPrimarySize, metalink, mirrorlist } = options;
    return await downloader.resolve(queries, {
      ...(metalink !== undefined && { metalink }),
      ...(mirrorlist !== undefined && { mirrorlist }),
      ...(arch !== undefined && { arch }),
      ...(repoPath !== undefined && { repoPath }),
      ...(repoGpgcheck !== undefined && { repoGpgcheck }),
      ...(maxPrimarySize !== undefined && { maxPrimarySize }),
    });
  } finally {
    downloader.close();
  }
}

/** Downloads many targets with one shared Downloader; see {@link Downloader.downloadAll}. */
export async function downloadAll(targets: ReadonlyArray<string | Target>, options: DownloaderOptions): Promise<BatchResult> {
  const downloader = createDownloader(options);
  try {
    return await downloader.downloadAll(targets);
  } finally {
    downloader.close();
  }
}
