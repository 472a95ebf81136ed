/**
 * The engine of one package: pick a mirror (the target's own budget and backoff, the pool's health and
 * slots), open the bytes (hedged when the mirror is slow to answer), stream them through the verifier
 * into a temporary file, resume or fail over on trouble, and rename the file into place once verified.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import createDebug from 'debug';
import { DownloadError, type Attempt, type RpmfetchError } from '../errors.js';
import type { Verdict } from '../rpm/verdict.js';
import { displayName } from '../rpm/nevra.js';
import { verifyFile } from '../rpm/verify-file.js';
import type { VerifyOptions } from '../rpm/verifier.js';
import { AttemptFailure } from './attempt-failure.js';
import { AttemptLoop, type Request, type TargetContext } from './attempt-loop.js';
import { targetUrl, type Mirror } from './mirror.js';
import type { ResolvedOptions } from './options.js';
import { PartialFile } from './partial-file.js';
import type { DownloadResult } from './result.js';
import type { OpenedSource } from './sources.js';
import { StallMonitor } from './stall-monitor.js';
import type { NormalizedTarget } from './target.js';

const debugRetry = createDebug('rpmfetch:retry');
const debugMirror = createDebug('rpmfetch:mirror');

function resultOf(file: string, url: string, mirror: string, cached: boolean, attempts: Attempt[], v: Verdict): DownloadResult {
  const rpm = v.rpm;
  return {
    file,
    url,
    mirror,
    size: v.size,
    cached,
    attempts,
    rpm: {
      name: rpm?.name ?? '',
      version: rpm?.version ?? '',
      release: rpm?.release ?? '',
      arch: rpm?.arch ?? '',
      buildArch: rpm?.buildArch ?? '',
      source: rpm?.source ?? false,
      nevra: rpm?.nevra ?? '',
      ...(rpm?.epoch !== undefined && { epoch: rpm.epoch }),
    },
    digests: v.digests,
    signatures: v.signatures,
    verdict: v,
  };
}

/**
 * The name the package must carry: the destination name when it is an RPM name, else the name asked
 * of the mirrors when that is one. None when a NEVRA is expected (as repository metadata gives): that
 * is the stricter check and does not depend on how anyone names files.
 */
function nameToCheck(target: NormalizedTarget): string | false {
  if (target.expectations.nevra !== undefined) return false;
  const requested = target.segments[target.segments.length - 1] ?? '';
  if (target.fileName.endsWith('.rpm')) return target.fileName;
  return requested.endsWith('.rpm') ? requested : false;
}

/** The verifier options for a target: its expectations, the name to check, the keys and the size limit. */
function verifyOptionsFor(target: NormalizedTarget, options: ResolvedOptions): VerifyOptions {
  return {
    ...target.expectations,
    fileName: nameToCheck(target),
    offload: options.offload,
    maxSize: options.maxSize,
    ...(options.keys && { keys: options.keys }),
  };
}

/** Whether two stats are of the same, unchanged file. */
function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.mtimeMs === b.mtimeMs && a.size === b.size;
}

/**
 * Downloads one target: a verified existing file is used as is; otherwise the attempts run until a
 * verified file is in place. Rejects with {@link DownloadError}.
 */
export async function downloadTarget(target: NormalizedTarget, context: TargetContext, signal?: AbortSignal): Promise<DownloadResult> {
  const { options } = context;
  const destination = join(options.dest, target.fileName);
  const verifyOptions = verifyOptionsFor(target, options);
  const before = options.reuse ? await stat(destination).catch(() => undefined) : undefined;
  let judged: { stats: Stats; verdict: Verdict } | undefined;
  if (options.reuse && before?.isFile()) {
    const existing = await verifyFile(destination, verifyOptions).catch(() => undefined);
    if (existing) judged = { stats: before, verdict: existing };
    if (existing?.ok) {
      debugMirror('%s: existing %s verified, nothing to download', target.path, destination);
      const result = resultOf(destination, pathToFileURL(destination).href, 'cache', true, [], existing);
      context.emit({ type: 'done', target: target.path, result });
      return result;
    }
    debugMirror('%s: existing %s does not verify (%s); it is replaced once a new copy verifies', target.path, destination, existing?.error?.code ?? 'unreadable');
  }
  try {
    return await new TargetDownload(target, context, destination, verifyOptions).run(signal);
  } catch (err) {
    // Whatever is at the destination name was not written by this download: it stays exactly as it
    // is (it may be someone's own file, or a copy another process just put there), and the error says
    // what it is.
    if (!(err instanceof DownloadError)) throw err;
    const error = await withExistingFile(err, destination, verifyOptions, judged);
    context.emit({ type: 'failed', target: target.path, error });
    throw error;
  }
}

/** The error, carrying the verdict of the file at the destination name when there is one. */
async function withExistingFile(err: DownloadError, destination: string, verifyOptions: VerifyOptions, judged: { stats: Stats; verdict: Verdict } | undefined): Promise<DownloadError> {
  const now = await stat(destination).catch(() => undefined);
  if (!now?.isFile()) return err;
  const verdict = judged && sameFile(judged.stats, now) ? judged.verdict : await verifyFile(destination, verifyOptions).catch(() => undefined);
  if (!verdict) return err;
  debugMirror('%s: %s is left as it was (%s)', err.target, destination, verdict.ok ? 'it verifies' : verdict.error?.code);
  return err.withExisting({ file: destination, verdict });
}

/** A package download: the body goes through the verifier into a temporary file, resumable. */
class TargetDownload extends AttemptLoop<DownloadResult> {
  private readonly partial: PartialFile;

  constructor(
    private readonly target: NormalizedTarget,
    context: TargetContext,
    private readonly destination: string,
    verifyOptions: VerifyOptions,
  ) {
    super(target.path, context);
    this.partial = new PartialFile(this.options.dest, target.fileName, verifyOptions);
  }

  protected urlFor(mirror: Mirror): URL {
    return targetUrl(mirror, this.target);
  }

  /**
   * Bytes a next request may resume after: none until the headers are whole. The lead and the
   * signature header are covered by no digest, so they must come from the response that brings the
   * header they describe; a cut inside them costs at most their few kilobytes.
   */
  protected override held(): number {
    return this.partial.verifier.headersComplete ? this.partial.bytes : 0;
  }

  protected override expectedTotal(): number | undefined {
    return this.partial.verifier.expectedSize ?? this.target.expectations.size;
  }

  protected override resumed(): boolean {
    return this.partial.sources > 1;
  }

  protected override heldFrom(mirror: number): boolean {
    return this.partial.mirrors.has(mirror);
  }

  protected override dropHeld(): Promise<void> {
    return this.partial.reset();
  }

  protected override cleanup(): Promise<void> {
    return this.partial.reset();
  }

  protected succeeded(result: DownloadResult): void {
    this.context.emit({ type: 'done', target: this.target.path, result });
  }

  protected failedFinally(): void {
    // downloadTarget reports the failure once it knows what is left at the destination name.
  }

  /** Streams the winner's body, judges it, and puts the file in place. */
  protected async finish(request: Request, source: OpenedSource, signal: AbortSignal): Promise<DownloadResult> {
    const mirror = this.mirrors[request.mirror] as Mirror;
    if (source.restarted) {
      debugRetry('%s: %s ignored Range, starting again from zero', this.target.path, mirror.label);
      await this.partial.reset();
    } else if (request.offset === 0 && this.partial.bytes > 0) {
      await this.partial.reset();
    } else if (request.offset !== this.partial.bytes) {
      // The held bytes changed while this response was on its way (a hedged twin dropped them).
      throw new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `the response starts at byte ${request.offset}, ${this.partial.bytes} bytes are held now`);
    }
    const verdict = await this.transfer(request, mirror, source, signal);
    await this.partial.commit(this.destination).catch((err: unknown) => {
      throw new AttemptFailure('ERR_WRITE_FAILED', 'verify', 'fatal', `cannot move the verified file to ${this.destination}: ${(err as Error).message}`);
    });
    this.record(request, 'verify', 'OK', `verified ${verdict.rpm ? displayName(verdict.rpm) : ''} (${verdict.size} bytes)`, source.status);
    this.context.pool.succeeded(request.mirror, request.bytes, performance.now() - request.started);
    return resultOf(this.destination, source.url, mirror.label, false, [...this.attempts], verdict);
  }

  /** Streams the body through the stall monitor into the file and the verifier, then judges it. */
  private async transfer(request: Request, mirror: Mirror, source: OpenedSource, signal: AbortSignal): Promise<Verdict> {
    const temp = await this.partial.open().catch((err: unknown) => {
      throw new AttemptFailure('ERR_WRITE_FAILED', 'body', 'fatal', `cannot create a temporary file in ${this.options.dest}: ${(err as Error).message}`);
    });
    this.partial.sources++;
    this.partial.mirrors.add(request.mirror);
    const verifier = this.partial.verifier;
    const report = this.progressReporter(mirror, source);
    const sink = this.partial.sink(temp, (n) => {
      request.bytes += n;
      report();
    });
    const monitor = new StallMonitor(source.body, this.options.timeouts.stall, this.options.timeouts.minRate, () => sink.writableLength > 0);
    // A package known bad mid-stream (a broken header, bytes past its end) is not worth the rest.
    // Kept here too: got wraps whatever the body is destroyed with.
    let known: AttemptFailure | undefined;
    const onFailure = (err: RpmfetchError): void => {
      known = new AttemptFailure(err.code, 'verify', 'mirror-done', err.message, { resetPartial: true });
      source.body.destroy(known);
    };
    verifier.once('failure', onFailure);
    try {
      await pipeline(source.body, sink, { signal });
    } catch (err) {
      await sink.settled();
      if (sink.fed !== sink.written) {
        throw new AttemptFailure('ERR_WRITE_FAILED', 'body', 'fatal', `cannot write ${this.partial.bytes} bytes into the temporary file: ${(err as Error).message}`, { cause: err });
      }
      throw known ?? monitor.error ?? err;
    } finally {
      monitor.stop();
      verifier.off('failure', onFailure);
    }
    const expected = verifier.expectedSize ?? this.target.expectations.size;
    if (!verifier.headersComplete && !verifier.failure) {
      throw new AttemptFailure('ERR_BODY_TRUNCATED', 'body', 'retry', `the body ended inside the package headers after ${this.partial.bytes} bytes`);
    }
    if (expected !== undefined && this.partial.bytes < expected) {
      throw new AttemptFailure('ERR_BODY_TRUNCATED', 'body', 'retry', `the body ended at ${this.partial.bytes} of the package's ${expected} bytes`);
    }
    verifier.end();
    const verdict = await verifier.verdict();
    if (!verdict.ok) {
      const error = verdict.error;
      throw new AttemptFailure(error?.code ?? 'ERR_INTERNAL', 'verify', 'mirror-done', error?.message ?? 'verification failed', { resetPartial: true });
    }
    report(true);
    return verdict;
  }

  /**
   * Progress events at most every 200 ms; `final` reports the last bytes whatever the time, so that a
   * display reaches the total before `done`.
   */
  private progressReporter(mirror: Mirror, source: OpenedSource): (final?: boolean) => void {
    let lastEmit = 0;
    let lastBytes = this.partial.bytes;
    let rate = 0;
    return (final = false) => {
      const now = performance.now();
      if (now - lastEmit < 200 && !final) return;
      const bytes = this.partial.bytes;
      if (lastEmit > 0) rate = ((bytes - lastBytes) * 1000) / (now - lastEmit);
      lastEmit = now;
      lastBytes = bytes;
      const total = this.partial.verifier.expectedSize ?? this.target.expectations.size ?? (source.length !== undefined ? bytes + source.length : undefined);
      this.context.emit({ type: 'progress', target: this.target.path, mirror: mirror.label, bytes, rate, ...(total !== undefined && { total }) });
    };
  }

}
