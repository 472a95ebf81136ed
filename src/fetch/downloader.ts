/**
 * Downloaders: many targets sharing mirror health, connection slots and keep-alive connections, with a
 * limit on targets in flight. `download()` and `downloadAll()` are one-shot Downloaders.
 */
import { DownloadError, InvalidOptionError, RpmfetchError } from '../errors.js';
import type { DownloadEvent } from './events.js';
import { mirrorOfUrl } from './mirror.js';
import { MirrorPool } from './mirror-pool.js';
import { NetworkAgents } from './agents.js';
import { resolveOptions, safeEmitter, type DownloaderOptions, type ResolvedOptions } from './options.js';
import type { DownloadResult } from './result.js';
import { normalizeTarget, type NormalizedTarget, type Target } from './target.js';
import type { TargetContext } from './attempt-loop.js';
import { downloadTarget } from './target-download.js';
import { MetadataCache } from '../repo/metadata-cache.js';
import { resolveQueries, type Resolution, type ResolveOptions } from '../repo/resolve.js';

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

/** A long-lived downloader. Close it when done to free its connections. */
export interface Downloader {
  /** Downloads one target (waiting for a free slot if `concurrency` targets are in flight). */
  download(target: string | Target, options?: CallOptions): Promise<DownloadResult>;
  /** Downloads many targets; one failure does not stop the rest unless `failFast`. Never rejects for a target's failure. */
  downloadAll(targets: ReadonlyArray<string | Target>, options?: CallOptions & { failFast?: boolean }): Promise<BatchResult>;
  /**
   * Resolves package queries (`NAME`, `NAME.ARCH`, `N-[E:]V-R[.A]`) through the mirrors' repository
   * metadata into targets carrying size, checksum and NEVRA. Rejects with a `DownloadError` when no
   * mirror serves usable metadata; an unknown name is an item with `ok: false` (`ERR_NOT_IN_REPO`).
   */
  resolve(queries: readonly string[], options?: CallOptions & ResolveOptions): Promise<Resolution>;
  /** Mirror health as the pool sees it, for diagnostics. */
  mirrors(): ReturnType<MirrorPool['snapshot']>;
  /** Closes idle keep-alive connections. In-flight downloads finish first only if awaited. */
  close(): void;
}

/** A FIFO counting semaphore. */
class Slots {
  private free: number;
  private readonly queue: Array<() => void> = [];
  constructor(count: number) {
    this.free = count;
  }
  async take(signal?: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.queue.indexOf(grant);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(grant);
    });
  }
  give(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }
}

class DownloaderImpl implements Downloader {
  private readonly options: ResolvedOptions;
  private readonly agents: NetworkAgents;
  private readonly pool: MirrorPool;
  private readonly slots: Slots;
  private readonly emitOwn: (event: DownloadEvent) => void;
  private readonly signal: AbortSignal | undefined;
  private readonly metadataCache: MetadataCache | undefined;

  constructor(options: DownloaderOptions) {
    this.signal = options.signal;
    this.options = resolveOptions(options);
    // The pool limits requests per mirror; the agents only keep connections alive for reuse, so that
    // no request waits inside an agent while its response timeout runs.
    this.agents = new NetworkAgents(this.options.proxy);
    this.pool = new MirrorPool(
      this.options.mirrors.map((m) => m.label),
      { connectionsPerMirror: this.options.connectionsPerMirror, cooldownAfter: this.options.cooldownAfter, cooldown: this.options.cooldown, adaptive: this.options.adaptive },
    );
    this.slots = new Slots(this.options.concurrency);
    this.emitOwn = safeEmitter(options.onEvent);
    this.metadataCache = options.metadataCache === false ? undefined : new MetadataCache();
  }

  private context(target: NormalizedTarget, emit: (e: DownloadEvent) => void): TargetContext {
    if (target.url) {
      // An absolute URL is its own single source, outside the shared pool.
      const mirror = mirrorOfUrl(target.url);
      const pool = new MirrorPool([mirror.label], { connectionsPerMirror: 1, cooldownAfter: 1e9, cooldown: 0, adaptive: false });
      return { options: this.options, mirrors: [mirror], pool, agents: this.agents, emit };
    }
    if (this.options.mirrors.length === 0) throw new InvalidOptionError(`no mirrors to download ${target.path} from`);
    return { options: this.options, mirrors: this.options.mirrors, pool: this.pool, agents: this.agents, emit };
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
    const context = this.context(target, emit);
    const signal = this.combined(callSignal);
    try {
      await this.slots.take(signal);
    } catch (err) {
      const error = new DownloadError('ERR_ABORTED', target.path, 'aborted before it started', [], { cause: err });
      emit({ type: 'failed', target: target.path, error });
      throw error;
    }
    try {
      return await downloadTarget(target, context, signal);
    } finally {
      this.slots.give();
    }
  }

  async downloadAll(targets: ReadonlyArray<string | Target>, options: CallOptions & { failFast?: boolean } = {}): Promise<BatchResult> {
    const normalized = targets.map((t) => normalizeTarget(t));
    const started = performance.now();
    const totals = new BatchTotals(normalized.length, this.emitter(options.onEvent), started);
    const failFast = options.failFast ?? this.options.failFast;
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const items: BatchItem[] = new Array(normalized.length);
    for (const t of normalized) totals.emit({ type: 'queued', target: t.path });
    let next = 0;
    const runner = async (): Promise<void> => {
      while (next < normalized.length) {
        const i = next++;
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
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, normalized.length) }, runner));
    totals.flush();
    const succeeded = items.filter((i) => i.ok).length;
    const bytes = items.reduce((n, i) => n + (i.ok ? i.result.size : 0), 0);
    return { items, succeeded, failed: items.length - succeeded, bytes, duration: performance.now() - started };
  }

  resolve(queries: readonly string[], options: CallOptions & ResolveOptions = {}): Promise<Resolution> {
    const emit = this.emitter(options.onEvent);
    return resolveQueries(queries, options, (target) => this.context(target, emit), this.combined(options.signal), this.metadataCache);
  }

  mirrors(): ReturnType<MirrorPool['snapshot']> {
    return this.pool.snapshot();
  }

  close(): void {
    this.agents.destroy();
  }
}

/** Follows a batch's targets and emits running totals. */
class BatchTotals {
  private done = 0;
  private failed = 0;
  private readonly inFlight = new Map<string, { bytes: number; total?: number }>();
  private finishedBytes = 0;
  private knownBytes = 0;
  private lastEmit = 0;
  private rate = 0;
  private lastRateAt: number;
  private lastRateBytes = 0;

  constructor(
    private readonly total: number,
    private readonly out: (event: DownloadEvent) => void,
    private readonly started: number,
  ) {
    this.lastRateAt = started;
  }

  readonly emit = (event: DownloadEvent): void => {
    this.out(event);
    switch (event.type) {
      case 'started':
        if (!this.inFlight.has(event.target)) this.inFlight.set(event.target, { bytes: event.offset });
        break;
      case 'progress': {
        const entry = this.inFlight.get(event.target);
        if (entry) {
          entry.bytes = event.bytes;
          if (event.total !== undefined) entry.total = event.total;
        }
        break;
      }
      case 'done':
      case 'failed': {
        const entry = this.inFlight.get(event.target);
        this.inFlight.delete(event.target);
        if (event.type === 'done') {
          this.done++;
          this.finishedBytes += event.result.size;
          this.knownBytes += event.result.size;
        } else {
          this.failed++;
          this.finishedBytes += entry?.bytes ?? 0;
        }
        this.tick(true);
        return;
      }
      default:
        return;
    }
    this.tick(false);
  };

  private tick(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastEmit < 250) return;
    this.lastEmit = now;
    let bytes = this.finishedBytes;
    let known = this.knownBytes;
    for (const e of this.inFlight.values()) {
      bytes += e.bytes;
      known += e.total ?? 0;
    }
    if (now - this.lastRateAt >= 500) {
      const instant = ((bytes - this.lastRateBytes) * 1000) / (now - this.lastRateAt);
      this.rate = this.rate ? this.rate * 0.6 + instant * 0.4 : instant;
      this.lastRateAt = now;
      this.lastRateBytes = bytes;
    }
    this.out({ type: 'batch', total: this.total, done: this.done, failed: this.failed, inFlight: this.inFlight.size, bytes, bytesKnown: known, rate: this.rate, elapsed: now - this.started });
  }

  flush(): void {
    this.tick(true);
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
    const { arch, repoPath, repoGpgcheck, maxPrimarySize } = options;
    return await downloader.resolve(queries, {
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
