/**
 * Fetching one metadata file with the same attempts, backoff, failover, hedging and stall detection as
 * packages (the shared {@link AttemptLoop}). Nothing is written to disk: the body is checked against
 * repomd.xml, decompressed and parsed as it streams, and the parse is used only if the whole file checked
 * out. Every attempt starts from zero: a resumed compressed stream would have to be re-parsed anyway.
 */
import { pipeline } from 'node:stream/promises';
import { RpmfetchError, type Attempt, type DownloadError } from '../errors.js';
import { AttemptFailure } from '../fetch/attempt-failure.js';
import { AttemptLoop, type Request, type TargetContext } from '../fetch/attempt-loop.js';
import { targetUrl, type Mirror } from '../fetch/mirror.js';
import type { OpenedSource } from '../fetch/sources.js';
import { StallMonitor } from '../fetch/stall-monitor.js';
import type { NormalizedTarget } from '../fetch/target.js';
import { BodyCheck, type BodyExpectations } from './body-check.js';
import { decompressor, type InputMeter } from './decompress.js';
import { DecodedSize } from './primary-limits.js';

/** Compressed size from which decoding moves to a worker thread (starting one costs ~30 ms). */
const WORKER_MIN_BYTES = 1024 * 1024;

/** Receives the (decompressed) bytes of one attempt; `end()` returns the parse. */
export interface MetadataSink<T> {
  write(chunk: Uint8Array): void;
  end(): T;
}

/** A sink for small files (repomd.xml, its signature): keeps the bytes, hands them to `parse` at the end. */
export function wholeFile<T>(parse: (bytes: Buffer) => T): () => MetadataSink<T> {
  return () => {
    const chunks: Uint8Array[] = [];
    return { write: (c) => chunks.push(c), end: () => parse(Buffer.concat(chunks)) };
  };
}

export interface MetadataRequest<T> {
  readonly target: NormalizedTarget;
  readonly expect: BodyExpectations;
  /** Decompress by magic bytes before parsing (primary files); repomd.xml is plain. */
  readonly decompress: boolean;
  /** Exact size after decompression, when repomd.xml says; also a limit while streaming. */
  readonly openSize?: number;
  /** The most the file may decompress to (default: `expect.maxBytes`); see primary-limits.ts. */
  readonly maxOpenSize?: number;
  /** A fresh sink per attempt. */
  readonly sink: () => MetadataSink<T>;
  /** Packages counted by the sink, for the event (primary files). */
  readonly packages?: (result: T) => number | undefined;
  /** Mirrors (indexes into the context's mirrors) not to ask, with the reason. */
  readonly skip?: ReadonlyMap<number, string>;
  /** Keep the file's bytes as received (for a cache). */
  readonly keep?: boolean;
}

/** A fetched metadata file: the parse and where it came from. */
export interface FetchedMetadata<T> {
  readonly value: T;
  readonly url: string;
  readonly mirror: string;
  /** Index of the mirror in the context's mirrors. */
  readonly mirrorIndex: number;
  readonly size: number;
  /** Every attempt made, the successful one last. */
  readonly attempts: readonly Attempt[];
  /** The file's bytes as received, when the request asked to keep them. */
  readonly kept?: readonly Buffer[];
}

/**
 * Checks a body against the request's expectations, decompresses it if asked, and parses it; resolves
 * with the parse only if all of that succeeded. `onChunk` sees each checked chunk of the body.
 */
export async function checkAndParse<T>(
  what: string,
  body: NodeJS.ReadableStream,
  request: MetadataRequest<T>,
  options: { worker: boolean; signal?: AbortSignal; onChunk?: (chunk: Buffer) => void; check?: (check: BodyCheck) => void },
): Promise<{ value: T; bytes: number }> {
  const check = new BodyCheck(what, request.expect, (chunk) => options.onChunk?.(chunk));
  options.check?.(check);
  const sink = request.sink();
  const decoded = new DecodedSize(what, request.openSize, request.maxOpenSize ?? request.expect.maxBytes);
  const input: InputMeter = { format: 'none', consumed: 0 };
  let value: T | undefined;
  const consume = async (chunks: AsyncIterable<Uint8Array>): Promise<void> => {
    for await (const chunk of chunks) {
      // Counted before it is parsed: a bomb is stopped within one decoder step of its limit.
      decoded.add(chunk.length, input);
      sink.write(chunk);
    }
    decoded.end();
    value = sink.end();
  };
  const signal = options.signal ? { signal: options.signal } : {};
  if (request.decompress) await pipeline(body, check, decompressor(what, { worker: options.worker, meter: input }), consume, signal);
  else await pipeline(body, check, consume, signal);
  return { value: value as T, bytes: check.bytes };
}

/** Fetches, checks and parses one metadata file; rejects with a DownloadError listing every attempt. */
export function fetchMetadata<T>(request: MetadataRequest<T>, context: TargetContext, signal?: AbortSignal): Promise<FetchedMetadata<T>> {
  return new MetadataFetch(request, context).run(signal);
}

class MetadataFetch<T> extends AttemptLoop<FetchedMetadata<T>> {
  private readonly started = performance.now();

  constructor(
    private readonly request: MetadataRequest<T>,
    context: TargetContext,
  ) {
    super(request.target.path, context);
    for (const [mirror, reason] of request.skip ?? []) this.schedule.finish(mirror, reason);
  }

  protected urlFor(mirror: Mirror): URL {
    return targetUrl(mirror, this.request.target);
  }

  protected succeeded(result: FetchedMetadata<T>): void {
    const packages = this.request.packages?.(result.value);
    this.context.emit({
      type: 'metadata',
      target: this.label,
      mirror: result.mirror,
      url: result.url,
      size: result.size,
      duration: performance.now() - this.started,
      ...(packages !== undefined && { packages }),
    });
  }

  protected failedFinally(error: DownloadError): void {
    this.context.emit({ type: 'failed', target: this.label, error });
  }

  protected async finish(request: Request, source: OpenedSource, signal: AbortSignal): Promise<FetchedMetadata<T>> {
    const mirror = this.mirrors[request.mirror] as Mirror;
    const report = this.progressReporter(mirror, source);
    const kept: Buffer[] | undefined = this.request.keep ? [] : undefined;
    let check: BodyCheck | undefined;
    const monitor = new StallMonitor(source.body, this.options.timeouts.stall, this.options.timeouts.minRate, () => (check?.writableLength ?? 0) > 0);
    let parsed: { value: T; bytes: number };
    try {
      // A big file decodes on another core while this one parses.
      const worker = this.options.offload !== false && (this.request.expect.size ?? Number.POSITIVE_INFINITY) >= WORKER_MIN_BYTES;
      parsed = await checkAndParse(this.label, source.body, this.request, {
        worker,
        signal,
        check: (c) => (check = c),
        onChunk: (chunk) => {
          request.bytes += chunk.length;
          report(request.bytes);
          kept?.push(Buffer.from(chunk));
        },
      });
    } catch (err) {
      if (monitor.error) throw monitor.error;
      throw metadataFailure(err);
    } finally {
      monitor.stop();
    }
    this.record(request, 'verify', 'OK', `checked and parsed ${this.label} (${parsed.bytes} bytes)`, source.status);
    this.context.pool.succeeded(request.mirror, request.bytes, performance.now() - request.started);
    return { value: parsed.value, url: source.url, mirror: mirror.label, mirrorIndex: request.mirror, size: parsed.bytes, attempts: [...this.attempts], ...(kept && { kept }) };
  }

  private progressReporter(mirror: Mirror, source: OpenedSource): (bytes: number) => void {
    let last = 0;
    let lastBytes = 0;
    let rate = 0;
    const total = this.request.expect.size ?? source.length;
    return (bytes) => {
      const now = performance.now();
      if (now - last < 200) return;
      if (last > 0) rate = ((bytes - lastBytes) * 1000) / (now - last);
      last = now;
      lastBytes = bytes;
      this.context.emit({ type: 'progress', target: this.label, mirror: mirror.label, bytes, rate, ...(total !== undefined && { total }) });
    };
  }
}

/** Content failures end this mirror's turn for the file; anything else is classified as usual. */
function metadataFailure(err: unknown): unknown {
  if (err instanceof RpmfetchError && err.code === 'ERR_REPO_METADATA') {
    return new AttemptFailure('ERR_REPO_METADATA', 'verify', 'mirror-done', err.message, { cause: err });
  }
  return err;
}
