/**
 * Fetching one metadata file with the same attempts, backoff, failover, hedging and stall detection as
 * packages (the shared runner, fetch/fetch-file.ts), through a Transfer of its own: nothing is written
 * to disk; the body is checked against repomd.xml, decompressed and parsed as it streams, and the parse
 * is used only if the whole file checked out. Every attempt starts from zero: a resumed compressed
 * stream would have to be re-parsed anyway.
 */
import { pipeline } from 'node:stream/promises';
import { DownloadError, RpmfetchError, type Attempt } from '../errors.js';
import { AttemptFailure } from '../fetch/attempt-failure.js';
import type { FailedEvent, FetchEvent } from '../fetch/events.js';
import { fetchFile, type FetchContext } from '../fetch/fetch-file.js';
import type { Mirror } from '../fetch/mirror.js';
import { readableOf } from '../fetch/readable-of.js';
import { StallMonitor } from '../fetch/stall-monitor.js';
import type { NormalizedTarget } from '../fetch/target.js';
import type { ConsumeRun, MirrorRef, OpenedSource, Opener, OpenRequest, Transfer } from '../fetch/transfer.js';
import { BodyCheck, type BodyExpectations } from './body-check.js';
import { decompressor, type InputMeter } from './decompress.js';
import type { MetadataEvent } from './metadata-event.js';
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
  /** Mirrors not to ask, with the reason. */
  readonly skip?: ReadonlyMap<Mirror, string>;
  /** Keep the file's bytes as received (for a cache). */
  readonly keep?: boolean;
}

/** A fetched metadata file: the parse and where it came from. */
export interface FetchedMetadata<T> {
  readonly value: T;
  /** URL after redirects, credentials masked. */
  readonly url: string;
  /** The mirror that served it. */
  readonly mirror: Mirror;
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

/** How metadata reaches the mirrors: the Downloader's runner context, opener and events. */
export interface MetadataContext {
  readonly fetch: FetchContext;
  readonly opener: Opener;
  /** The repository's mirrors, in order of preference (read again before every attempt). */
  mirrors(): readonly Mirror[];
  /** Decode large files on a worker thread. */
  readonly offload: boolean;
  /** Adds a repository base to the mirrors (those a metalink or mirrorlist names); absent when mirrors are fixed. */
  readonly addMirror?: (base: string) => void;
  readonly emit: (event: FetchEvent | FailedEvent | MetadataEvent) => void;
}

/** Fetches, checks and parses one metadata file; rejects with a DownloadError listing every attempt. */
export async function fetchMetadata<T>(request: MetadataRequest<T>, context: MetadataContext, signal?: AbortSignal): Promise<FetchedMetadata<T>> {
  const started = performance.now();
  const target = request.target;
  const label = target.path;
  // A file at an absolute URL (an xml:base) is its own single mirror.
  const own = target.url && context.fetch.set.create(target.url);
  try {
    const fetched = await fetchFile(
      {
        label,
        mirrors: () => (own ? [own] : context.mirrors()),
        url: (mirror) => (own ? mirror.base : mirror.urlOf(target.segments)),
        transfer: new MetadataTransfer(request, context),
        ...(request.skip && { skip: request.skip }),
        describe: (_value, bytes) => `checked and parsed ${label} (${bytes} bytes)`,
      },
      context.fetch,
      signal,
    );
    const { value, size, kept } = fetched.value;
    const packages = request.packages?.(value);
    context.emit({ type: 'metadata', target: label, mirror: fetched.mirror.label, url: fetched.url, size, duration: performance.now() - started, ...(packages !== undefined && { packages }) });
    return { value, url: fetched.url, mirror: fetched.mirror, size, attempts: fetched.attempts, ...(kept && { kept }) };
  } catch (err) {
    if (err instanceof DownloadError) context.emit({ type: 'failed', target: label, error: err });
    throw err;
  }
}

/** A metadata file's bytes: checked, decompressed and parsed as they stream, never kept on disk. */
class MetadataTransfer<T> implements Transfer<{ value: T; size: number; kept?: Buffer[] }> {
  constructor(
    private readonly request: MetadataRequest<T>,
    private readonly context: MetadataContext,
  ) {}

  held(): number {
    return 0;
  }

  heldFrom(): boolean {
    return false;
  }

  expectedTotal(): number | undefined {
    return undefined;
  }

  resumed(): boolean {
    return false;
  }

  async dropHeld(): Promise<void> {}

  async close(): Promise<void> {}

  open(req: OpenRequest, mirror: MirrorRef): Promise<OpenedSource> {
    return this.context.opener.open(req, mirror);
  }

  async consume(source: OpenedSource, _offset: number, run: ConsumeRun): Promise<{ value: T; size: number; kept?: Buffer[] }> {
    const what = this.request.target.path;
    const kept: Buffer[] | undefined = this.request.keep ? [] : undefined;
    const body = readableOf(source);
    let check: BodyCheck | undefined;
    const { stall, minRate } = this.context.fetch.policy.timeouts;
    const monitor = new StallMonitor(stall, minRate, (err) => body.destroy(err), () => (check?.writableLength ?? 0) > 0);
    const total = this.request.expect.size ?? source.length;
    let received = 0;
    try {
      // A big file decodes on another core while this one parses.
      const worker = this.context.offload && (this.request.expect.size ?? Number.POSITIVE_INFINITY) >= WORKER_MIN_BYTES;
      const parsed = await checkAndParse(what, body, this.request, {
        worker,
        signal: run.signal,
        check: (c) => (check = c),
        onChunk: (chunk) => {
          received += chunk.length;
          monitor.bytes(chunk.length);
          run.progress(chunk.length, received, total);
          kept?.push(Buffer.from(chunk));
        },
      });
      return { value: parsed.value, size: parsed.bytes, ...(kept && { kept }) };
    } catch (err) {
      if (monitor.error) throw monitor.error;
      throw metadataFailure(err);
    } finally {
      monitor.stop();
    }
  }
}

/** Codes of content failures: the same request would get the same bytes. */
const CONTENT_FAILURES: ReadonlySet<string> = new Set(['ERR_REPO_METADATA', 'ERR_REPOMD_MISMATCH', 'ERR_METALINK', 'ERR_MIRRORLIST']);

/** Content failures end this mirror's turn for the file; anything else is classified as usual. */
function metadataFailure(err: unknown): unknown {
  if (err instanceof RpmfetchError && CONTENT_FAILURES.has(err.code)) {
    return new AttemptFailure(err.code, 'verify', 'mirror-done', err.message, { cause: err });
  }
  return err;
}
