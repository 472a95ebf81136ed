/**
 * `download()`: one target from an ordered list of mirrors into a directory, through the verifier, with
 * retries per mirror, failover, resume and atomic placement. See DESIGN.md's attempt order and defaults.
 */
import { rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import createDebug from 'debug';
import pRetry, { AbortError } from 'p-retry';
import { DownloadError, InvalidOptionError, RpmfetchError, type Attempt, type ErrorCode } from '../errors.js';
import { prewarmHashWorkers } from '../rpm/hash-worker-pool.js';
import { OFFLOAD_MIN_BYTES, type OffloadMode } from '../rpm/stream-hasher.js';
import type { Verdict } from '../rpm/verdict.js';
import { verifyFile } from '../rpm/verify-file.js';
import type { VerifyOptions } from '../rpm/verifier.js';
import { AttemptFailure, classifyError } from './attempt-failure.js';
import { AttemptSchedule } from './attempt-schedule.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { DownloadEvent } from './events.js';
import { mirrorOfUrl, normalizeMirrors, targetUrl, type Mirror } from './mirror.js';
import { PartialFile, type PackageSink } from './partial-file.js';
import type { DownloadResult } from './result.js';
import { openFile, openHttp, type OpenedSource, type SourceRequest } from './sources.js';
import { StallMonitor } from './stall-monitor.js';
import { normalizeTarget, type NormalizedTarget, type Target } from './target.js';
import { resolveTimeouts, type DownloadTimeouts, type ResolvedTimeouts } from './timeouts.js';

const debugRetry = createDebug('rpmfetch:retry');
const debugMirror = createDebug('rpmfetch:mirror');

/** Options of {@link download}. */
export interface DownloadOptions {
  /** Mirror base URLs in order of preference: `http://`, `https://` or `file://`. */
  mirrors: ReadonlyArray<string | URL>;
  /** Destination directory (created if missing). Default: the current directory. */
  dest?: string;
  /** Extra attempts per mirror after the first (each mirror gets `retries + 1`). Default 2. */
  retries?: number;
  /** Time limits in milliseconds; see {@link DownloadTimeouts}. */
  timeouts?: DownloadTimeouts;
  /** Backoff between attempts on one mirror, in ms: `{ min: 500, max: 10000 }` by default. */
  backoff?: Partial<BackoffOptions>;
  /**
   * Longest Retry-After (ms) honoured by waiting; a mirror asking for longer is given up for the
   * target. Default 60 000.
   */
  maxRetryAfter?: number;
  /** Redirects followed per request. Default 5. */
  maxRedirects?: number;
  /** Follow redirects from https to http. Default false. */
  allowInsecureRedirects?: boolean;
  /** Use an existing destination file when it verifies against the target. Default true. */
  reuse?: boolean;
  /** Stops the download; it rejects with `ERR_ABORTED` and leaves no temporary file. */
  signal?: AbortSignal;
  /** Receives progress and retry events. */
  onEvent?: (event: DownloadEvent) => void;
  /** User-Agent header. Default `rpmfetch/<version>`. */
  userAgent?: string;
  /** Hash on worker threads; see {@link VerifyOptions.offload}. */
  offload?: OffloadMode;
}

/** Options with defaults applied, shared by every target of a call. */
export interface ResolvedDownloadOptions {
  readonly mirrors: readonly Mirror[];
  readonly dest: string;
  readonly attemptsPerMirror: number;
  readonly timeouts: ResolvedTimeouts;
  readonly backoff: BackoffOptions;
  readonly maxRetryAfter: number;
  readonly maxRedirects: number;
  readonly allowInsecureRedirects: boolean;
  readonly reuse: boolean;
  readonly userAgent: string;
  readonly offload: OffloadMode;
}

export const USER_AGENT = 'rpmfetch/0.1';

function count(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new InvalidOptionError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** Validates options; throws {@link InvalidOptionError}. */
export function resolveDownloadOptions(o: DownloadOptions): ResolvedDownloadOptions {
  if (!o || !Array.isArray(o.mirrors)) throw new InvalidOptionError('mirrors must be an array of base URLs');
  const backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
  if (!(backoff.min >= 0 && backoff.max >= backoff.min)) throw new InvalidOptionError('backoff needs 0 <= min <= max');
  return {
    mirrors: normalizeMirrors(o.mirrors),
    dest: resolve(o.dest ?? '.'),
    attemptsPerMirror: count(o.retries, 'retries', 2) + 1,
    timeouts: resolveTimeouts(o.timeouts),
    backoff,
    maxRetryAfter: count(o.maxRetryAfter, 'maxRetryAfter', 60_000),
    maxRedirects: count(o.maxRedirects, 'maxRedirects', 5),
    allowInsecureRedirects: o.allowInsecureRedirects ?? false,
    reuse: o.reuse ?? true,
    userAgent: o.userAgent ?? USER_AGENT,
    offload: o.offload ?? 'auto',
  };
}

/** What a download run shares with others (connections, mirror health); a single download has its own. */
export interface DownloadContext {
  readonly agents?: SourceRequest['agents'];
  readonly emit: (event: DownloadEvent) => void;
}

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
      source: rpm?.source ?? false,
      nevra: rpm?.nevra ?? '',
      ...(rpm?.epoch !== undefined && { epoch: rpm.epoch }),
    },
    digests: v.digests,
    signatures: v.signatures,
    verdict: v,
  };
}

/** The verifier options for a target: its expectations, and its requested name when that is an RPM name. */
function verifyOptionsFor(target: NormalizedTarget, options: ResolvedDownloadOptions): VerifyOptions {
  const requested = target.segments[target.segments.length - 1] ?? '';
  return { ...target.expectations, fileName: requested.endsWith('.rpm') ? requested : false, offload: options.offload };
}

/** Calls a listener without letting its exceptions into the download machinery. */
export function safeEmitter(listener: ((event: DownloadEvent) => void) | undefined): (event: DownloadEvent) => void {
  if (!listener) return () => {};
  return (event) => {
    try {
      listener(event);
    } catch (err) {
      debugRetry('an onEvent listener threw on %s: %s', event.type, err instanceof Error ? err.message : String(err));
    }
  };
}

/**
 * Downloads one target. Resolves with a verified file in place; rejects with {@link DownloadError}
 * (or {@link InvalidOptionError} for malformed options, before any request).
 */
export async function download(target: string | Target, options: DownloadOptions): Promise<DownloadResult> {
  const resolved = resolveDownloadOptions(options);
  const t = normalizeTarget(target);
  return downloadTarget(t, resolved, { emit: safeEmitter(options.onEvent) }, options.signal);
}

/** The per-target engine behind {@link download} and batches. */
export async function downloadTarget(
  target: NormalizedTarget,
  options: ResolvedDownloadOptions,
  context: DownloadContext,
  signal?: AbortSignal,
): Promise<DownloadResult> {
  const destination = join(options.dest, target.fileName);
  const verifyOptions = verifyOptionsFor(target, options);
  const before = await stat(destination).catch(() => undefined);
  let stale = false;
  if (options.reuse && before?.isFile()) {
    const existing = await verifyFile(destination, verifyOptions).catch(() => undefined);
    stale = !existing?.ok;
    if (existing?.ok) {
      debugMirror('%s: existing %s verified, nothing to download', target.path, destination);
      const result = resultOf(destination, pathToFileURL(destination).href, 'cache', true, [], existing);
      context.emit({ type: 'done', target: target.path, result });
      return result;
    }
    debugMirror('%s: existing %s does not verify (%s); it is replaced once a new copy verifies', target.path, destination, existing?.error?.code ?? 'unreadable');
  }
  const mirrors = target.url ? [mirrorOfUrl(target.url)] : options.mirrors;
  if (mirrors.length === 0) throw new InvalidOptionError(`no mirrors to download ${target.path} from`);
  const job = new TargetDownload(target, options, context, mirrors, destination, verifyOptions);
  try {
    return await job.run(signal);
  } catch (err) {
    // A file known bad must not stay under the name a build will pick up; but only the one we
    // judged: another process may have put a good copy there meanwhile.
    const now = await stat(destination).catch(() => undefined);
    if (stale && before && now && now.ino === before.ino && now.mtimeMs === before.mtimeMs && now.size === before.size) {
      debugMirror('%s: removing %s, which failed verification and has no verified replacement', target.path, destination);
      await rm(destination, { force: true });
    }
    throw err;
  }
}

/** The state of one target's download across its attempts. */
class TargetDownload {
  private readonly attempts: Attempt[] = [];
  private readonly schedule: AttemptSchedule;
  private readonly partial: PartialFile;

  constructor(
    private readonly target: NormalizedTarget,
    private readonly options: ResolvedDownloadOptions,
    private readonly context: DownloadContext,
    private readonly mirrors: readonly Mirror[],
    private readonly destination: string,
    verifyOptions: VerifyOptions,
  ) {
    this.schedule = new AttemptSchedule(mirrors.length, options.attemptsPerMirror, options.backoff);
    this.partial = new PartialFile(options.dest, target.fileName, verifyOptions);
  }

  async run(outer?: AbortSignal): Promise<DownloadResult> {
    const total = this.options.timeouts.total;
    const deadline = total !== undefined ? AbortSignal.timeout(total) : undefined;
    const signals = [outer, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? new AbortController().signal : AbortSignal.any(signals);
    const budget = this.mirrors.length * (this.options.attemptsPerMirror + 1);
    try {
      const result = await pRetry((n) => this.attempt(signal, n), {
        // Delays are the schedule's (per mirror, with Retry-After); p-retry drives the loop and aborts it.
        retries: budget,
        minTimeout: 0,
        maxTimeout: 0,
        signal,
        shouldRetry: ({ error }) => !(error instanceof AttemptFailure && error.kind === 'fatal'),
      });
      this.context.emit({ type: 'done', target: this.target.path, result });
      return result;
    } catch (err) {
      const error = this.finalError(err, signal, deadline);
      this.context.emit({ type: 'failed', target: this.target.path, error });
      throw error;
    } finally {
      await this.partial.reset();
    }
  }

  private finalError(err: unknown, signal: AbortSignal, deadline: AbortSignal | undefined): DownloadError {
    if (err instanceof DownloadError) return err;
    if (signal.aborted) {
      const timedOut = deadline?.aborted === true;
      const code: ErrorCode = timedOut ? 'ERR_TOTAL_TIMEOUT' : 'ERR_ABORTED';
      const why = timedOut ? `the total time limit of ${this.options.timeouts.total} ms ran out` : 'aborted';
      return new DownloadError(code, this.target.path, why, this.attempts, { cause: signal.reason });
    }
    if (err instanceof AttemptFailure) {
      return new DownloadError(err.code === 'ERR_WRITE_FAILED' ? 'ERR_WRITE_FAILED' : 'ERR_ALL_MIRRORS_FAILED', this.target.path, err.message, this.attempts, { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new DownloadError('ERR_ALL_MIRRORS_FAILED', this.target.path, message, this.attempts, { cause: err });
  }

  /** One p-retry round: wait for the next mirror's turn, then try it. */
  private async attempt(signal: AbortSignal, round: number): Promise<DownloadResult> {
    const next = this.schedule.next();
    if (!next) {
      const tried = this.attempts.length;
      throw new AbortError(
        new DownloadError('ERR_ALL_MIRRORS_FAILED', this.target.path, `every mirror failed (${tried} attempt${tried === 1 ? '' : 's'})`, this.attempts),
      );
    }
    if (next.wait > 0) {
      debugRetry('%s: waiting %d ms for %s (round %d)', this.target.path, Math.round(next.wait), this.mirrors[next.mirror]?.label, round);
      await sleep(next.wait, undefined, { signal });
    }
    this.schedule.begin(next.mirror);
    return this.tryMirror(next.mirror, next.attempt, signal);
  }

  private async tryMirror(index: number, attemptNo: number, signal: AbortSignal): Promise<DownloadResult> {
    const mirror = this.mirrors[index] as Mirror;
    const url = targetUrl(mirror, this.target);
    const offset = this.partial.bytes;
    const started = performance.now();
    const verifier = this.partial.verifier;
    const request: SourceRequest = {
      offset,
      expectedTotal: verifier.expectedSize ?? this.target.expectations.size,
      timeouts: this.options.timeouts,
      signal,
      ...(this.context.agents && { agents: this.context.agents }),
      maxRedirects: this.options.maxRedirects,
      allowInsecureRedirects: this.options.allowInsecureRedirects,
      userAgent: this.options.userAgent,
    };
    this.context.emit({ type: 'started', target: this.target.path, mirror: mirror.label, url: url.href, attempt: attemptNo, offset });
    let source: OpenedSource | undefined;
    let sink: PackageSink | undefined;
    const record = (phase: Attempt['phase'], code: string, cause: string, status?: number, retryAfter?: number): Attempt => {
      const attempt: Attempt = {
        mirror: mirror.label,
        url: url.href,
        attempt: attemptNo,
        phase,
        code,
        bytes: sink?.written ?? 0,
        offset,
        duration: performance.now() - started,
        cause,
        ...(status !== undefined && { status }),
        ...(retryAfter !== undefined && { retryAfter }),
      };
      this.attempts.push(attempt);
      return attempt;
    };
    try {
      source = mirror.kind === 'file' ? await openFile(url, request) : await openHttp(url, request);
      if (source.restarted) {
        debugRetry('%s: %s ignored Range, starting again from zero', this.target.path, mirror.label);
        await this.partial.reset();
      }
      const verdict = await this.transfer(mirror, source, signal, (s) => (sink = s));
      await this.partial.commit(this.destination).catch((err: unknown) => {
        throw new AttemptFailure('ERR_WRITE_FAILED', 'verify', 'fatal', `cannot move the verified file to ${this.destination}: ${(err as Error).message}`);
      });
      record('verify', 'OK', `verified ${verdict.rpm?.nevra ?? ''} (${verdict.size} bytes)`, source.status);
      return resultOf(this.destination, source.url, mirror.label, false, [...this.attempts], verdict);
    } catch (err) {
      if (signal.aborted) throw err;
      const failure = classifyError(err, source !== undefined);
      const attempt = record(failure.phase, failure.code, failure.message, failure.details.status, failure.details.retryAfter);
      await this.afterFailure(index, failure, attempt);
      throw failure;
    }
  }

  /** Streams the body through the stall monitor into the file and the verifier, then judges it. */
  private async transfer(mirror: Mirror, source: OpenedSource, signal: AbortSignal, onSink: (s: PackageSink) => void): Promise<Verdict> {
    const temp = await this.partial.open().catch((err: unknown) => {
      throw new AttemptFailure('ERR_WRITE_FAILED', 'body', 'fatal', `cannot create a temporary file in ${this.options.dest}: ${(err as Error).message}`);
    });
    this.partial.sources++;
    // A big body is coming: boot the hash worker now, while the headers arrive.
    if (this.options.offload !== false && (source.length ?? 0) >= OFFLOAD_MIN_BYTES) prewarmHashWorkers();
    const verifier = this.partial.verifier;
    const progress = this.progressReporter(mirror, source);
    const sink = this.partial.sink(temp, progress);
    onSink(sink);
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
    return verdict;
  }

  private progressReporter(mirror: Mirror, source: OpenedSource): (n: number) => void {
    let lastEmit = 0;
    let lastBytes = this.partial.bytes;
    let rate = 0;
    return () => {
      const now = performance.now();
      if (now - lastEmit < 200) return;
      const bytes = this.partial.bytes;
      if (lastEmit > 0) rate = ((bytes - lastBytes) * 1000) / (now - lastEmit);
      lastEmit = now;
      lastBytes = bytes;
      const total = this.partial.verifier.expectedSize ?? this.target.expectations.size ?? (source.length !== undefined ? bytes + source.length : undefined);
      this.context.emit({ type: 'progress', target: this.target.path, mirror: mirror.label, bytes, rate, ...(total !== undefined && { total }) });
    };
  }

  /** Updates the schedule and the bytes held after a failed attempt. */
  private async afterFailure(index: number, failure: AttemptFailure, attempt: Attempt): Promise<void> {
    const mirror = this.mirrors[index] as Mirror;
    const resumed = this.partial.sources > 1;
    if (attempt.bytes > 0) this.schedule.progressed(index);
    if (failure.kind === 'mirror-done' && failure.phase === 'verify' && resumed) {
      // The bytes came from more than one response: do not blame this mirror before it has served
      // the whole file in one go.
      debugRetry('%s: resumed file failed verification (%s); fetching once more from zero from %s', this.target.path, failure.code, mirror.label);
      await this.partial.reset();
      this.schedule.grantFromZero(index);
    } else if (failure.kind === 'mirror-done') {
      debugMirror('%s: %s is done for this target: %s %s', this.target.path, mirror.label, failure.code, failure.message);
      this.schedule.finish(index, failure.message);
      if (failure.details.resetPartial) await this.partial.reset();
    } else if (failure.kind === 'retry') {
      const retryAfter = failure.details.retryAfter;
      if (retryAfter !== undefined && retryAfter > this.options.maxRetryAfter) {
        debugMirror('%s: %s asks to wait %d ms, more than the %d ms honoured; giving it up', this.target.path, mirror.label, retryAfter, this.options.maxRetryAfter);
        this.schedule.finish(index, `Retry-After ${retryAfter} ms`);
      } else {
        const delay = this.schedule.failed(index, retryAfter);
        debugRetry('%s: %s failed (%s), resting %d ms', this.target.path, mirror.label, failure.code, Math.round(delay));
      }
      if (failure.details.resetPartial) await this.partial.reset();
    }
    if (failure.kind === 'fatal') return;
    const next = this.schedule.next();
    if (next) {
      const nextMirror = this.mirrors[next.mirror] as Mirror;
      const type = next.mirror === index ? 'retry' : 'failover';
      this.context.emit({ type, target: this.target.path, failed: attempt, next: nextMirror.label, wait: next.wait });
    }
  }
}
