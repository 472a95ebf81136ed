/**
 * The engine of one target: pick a mirror (the target's own budget and backoff, the pool's health and
 * slots), open the bytes (hedged when the mirror is slow to answer), stream them through the verifier
 * into a temporary file, resume or fail over on trouble, and rename the file into place once verified.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import createDebug from 'debug';
import pRetry, { AbortError } from 'p-retry';
import { DownloadError, RpmfetchError, type Attempt, type ErrorCode } from '../errors.js';
import { prewarmHashWorkers } from '../rpm/hash-worker-pool.js';
import { OFFLOAD_MIN_BYTES } from '../rpm/stream-hasher.js';
import type { Verdict } from '../rpm/verdict.js';
import { verifyFile } from '../rpm/verify-file.js';
import type { VerifyOptions } from '../rpm/verifier.js';
import { AttemptFailure, classifyError } from './attempt-failure.js';
import { AttemptSchedule } from './attempt-schedule.js';
import type { DownloadEvent } from './events.js';
import { targetUrl, type Mirror } from './mirror.js';
import type { MirrorPool } from './mirror-pool.js';
import type { Agents, ResolvedOptions } from './options.js';
import { PartialFile, type PackageSink } from './partial-file.js';
import type { DownloadResult } from './result.js';
import { openFile, openHttp, type OpenedSource, type SourceRequest } from './sources.js';
import { StallMonitor } from './stall-monitor.js';
import type { NormalizedTarget } from './target.js';

const debugRetry = createDebug('rpmfetch:retry');
const debugMirror = createDebug('rpmfetch:mirror');

/** What a target's download shares with the others of its Downloader. */
export interface TargetContext {
  readonly options: ResolvedOptions;
  readonly mirrors: readonly Mirror[];
  readonly pool: MirrorPool;
  readonly agents?: Agents;
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
function verifyOptionsFor(target: NormalizedTarget, options: ResolvedOptions): VerifyOptions {
  const requested = target.segments[target.segments.length - 1] ?? '';
  return {
    ...target.expectations,
    fileName: requested.endsWith('.rpm') ? requested : false,
    offload: options.offload,
    ...(options.keys && { keys: options.keys }),
  };
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
  try {
    return await new TargetDownload(target, context, destination, verifyOptions).run(signal);
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

/** One request to one mirror within an attempt round (a hedged round has two). */
interface Request {
  readonly mirror: number;
  readonly attempt: number;
  readonly url: URL;
  readonly offset: number;
  readonly started: number;
  readonly controller: AbortController;
  readonly hedge: boolean;
  sink?: PackageSink;
  /** Deliberately cancelled (it lost a hedge): its abort is not a failure of its own. */
  abandoned: boolean;
  /** Its slot in the pool has been returned. */
  released: boolean;
  /** Its outcome is in the attempt log. */
  recorded: boolean;
  /** Detaches the request from the target's signal. */
  detach: () => void;
}

/** Failures the pool takes as a sign of the mirror's health (content and 404 are not). */
const HEALTH_CODES = new Set(['ERR_CONNECT', 'ERR_CONNECT_TIMEOUT', 'ERR_RESPONSE_TIMEOUT', 'ERR_STALL', 'ERR_BODY_TRUNCATED', 'ERR_CONNECTION_RESET', 'ERR_NETWORK', 'ERR_TLS', 'ERR_HEDGE_LOST']);

class TargetDownload {
  private readonly attempts: Attempt[] = [];
  private readonly schedule: AttemptSchedule;
  private readonly partial: PartialFile;
  private readonly options: ResolvedOptions;
  private readonly mirrors: readonly Mirror[];

  constructor(
    private readonly target: NormalizedTarget,
    private readonly context: TargetContext,
    private readonly destination: string,
    verifyOptions: VerifyOptions,
  ) {
    this.options = context.options;
    this.mirrors = context.mirrors;
    this.schedule = new AttemptSchedule(this.mirrors.length, this.options.attemptsPerMirror, this.options.backoff);
    this.partial = new PartialFile(this.options.dest, target.fileName, verifyOptions);
  }

  async run(outer?: AbortSignal): Promise<DownloadResult> {
    const total = this.options.timeouts.total;
    const deadline = total !== undefined ? AbortSignal.timeout(total) : undefined;
    const signals = [outer, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? new AbortController().signal : AbortSignal.any(signals);
    const budget = this.mirrors.length * (this.options.attemptsPerMirror + 2);
    try {
      const result = await pRetry(() => this.round(signal), {
        // Delays are the schedule's and the pool's (per mirror, with Retry-After); p-retry drives the
        // loop and stops it on abort.
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

  /** One p-retry round: a mirror's turn (hedged if it is slow to answer), then the body. */
  private async round(signal: AbortSignal): Promise<DownloadResult> {
    const primary = await this.acquire(signal, true);
    if (!primary) {
      const tried = this.attempts.length;
      throw new AbortError(new DownloadError('ERR_ALL_MIRRORS_FAILED', this.target.path, `every mirror failed (${tried} attempt${tried === 1 ? '' : 's'})`, this.attempts));
    }
    const requests: Request[] = [];
    try {
      const first = this.start(primary.mirror, primary.attempt, signal, false);
      requests.push(first);
      const { request, source } = await this.openHedged(first, signal, requests);
      return await this.finish(request, source, signal);
    } finally {
      for (const r of requests) this.release(r);
    }
  }

  /**
   * Waits for a mirror this target may use now (attempts left, its backoff over, no Retry-After
   * block) with a free connection slot, preferring healthy mirrors; takes the slot. Without `wait`,
   * returns undefined instead of waiting. Undefined also when no mirror has attempts left.
   */
  private async acquire(signal: AbortSignal, wait: boolean, exclude?: number): Promise<{ mirror: number; attempt: number } | undefined> {
    const suspectAfter = this.options.hedgeDelay ?? this.options.timeouts.response;
    for (;;) {
      const candidates = this.schedule.candidates().filter((c) => c.mirror !== exclude);
      if (candidates.length === 0) return undefined;
      const now = Date.now();
      const wakeAt = candidates.map((c) => Math.max(c.readyAt, this.context.pool.blockedUntil(c.mirror)));
      const ready = candidates.filter((_, i) => (wakeAt[i] as number) <= now);
      if (ready.length === 0) {
        if (!wait) return undefined;
        const wakeUp = Math.min(...wakeAt) - now;
        debugRetry('%s: every mirror is resting, waiting %d ms', this.target.path, Math.round(wakeUp));
        await sleep(wakeUp, undefined, { signal });
        continue;
      }
      for (const mirror of this.context.pool.order(ready.map((c) => c.mirror), suspectAfter)) {
        if (this.context.pool.tryAcquire(mirror)) {
          this.schedule.begin(mirror);
          return { mirror, attempt: (ready.find((c) => c.mirror === mirror) as { attempt: number }).attempt };
        }
      }
      if (!wait) return undefined;
      await this.context.pool.slotReleased(signal);
    }
  }

  private start(mirror: number, attempt: number, signal: AbortSignal, hedge: boolean): Request {
    const m = this.mirrors[mirror] as Mirror;
    const url = targetUrl(m, this.target);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    const detach = () => signal.removeEventListener('abort', onAbort);
    const request: Request = { mirror, attempt, url, offset: this.partial.bytes, started: performance.now(), controller, hedge, abandoned: false, released: false, recorded: false, detach };
    this.context.emit({ type: 'started', target: this.target.path, mirror: m.label, url: url.href, attempt, offset: request.offset, ...(hedge && { hedge }) });
    return request;
  }

  /** Returns the request's slot; `cancel` also stops it (a finished request keeps its connection alive). */
  private release(request: Request, cancel = false): void {
    if (cancel) request.controller.abort();
    if (request.released) return;
    request.released = true;
    request.detach();
    this.context.pool.release(request.mirror);
  }

  /** Opens the source of one request, keeping the pool informed of how long headers take. */
  private async open(request: Request): Promise<OpenedSource> {
    const mirror = this.mirrors[request.mirror] as Mirror;
    const verifier = this.partial.verifier;
    const source: SourceRequest = {
      offset: request.offset,
      expectedTotal: verifier.expectedSize ?? this.target.expectations.size,
      timeouts: this.options.timeouts,
      signal: request.controller.signal,
      ...(this.context.agents && { agents: this.context.agents }),
      maxRedirects: this.options.maxRedirects,
      allowInsecureRedirects: this.options.allowInsecureRedirects,
      userAgent: this.options.userAgent,
    };
    const token = this.context.pool.requesting(request.mirror);
    try {
      const opened = mirror.kind === 'file' ? await openFile(request.url, source) : await openHttp(request.url, source);
      this.context.pool.responded(request.mirror, token, true);
      return opened;
    } catch (err) {
      this.context.pool.responded(request.mirror, token, false);
      throw err;
    }
  }

  /**
   * Opens `first`; if it has not answered within the hedge delay, opens the next usable mirror too and
   * takes whichever answers first. Every request that fails is recorded as it fails.
   */
  private async openHedged(first: Request, signal: AbortSignal, requests: Request[]): Promise<{ request: Request; source: OpenedSource }> {
    const attempt = (r: Request): Promise<{ request: Request; source: OpenedSource }> =>
      this.open(r).then(
        (source) => ({ request: r, source }),
        async (err: unknown) => {
          if (r.abandoned || signal.aborted) throw err;
          throw await this.fail(r, classifyError(err, false));
        },
      );
    const p1 = attempt(first);
    const delay = this.hedgeDelay(first.mirror);
    if (delay === undefined) return p1;
    let timer: NodeJS.Timeout | undefined;
    const hedgeTime = new Promise<'hedge'>((resolve) => {
      timer = setTimeout(() => resolve('hedge'), delay);
    });
    const early = await Promise.race([p1, hedgeTime]).finally(() => clearTimeout(timer));
    if (early !== 'hedge') return early;
    const second = await this.acquire(signal, false, first.mirror);
    if (!second) return p1;
    const other = this.start(second.mirror, second.attempt, signal, true);
    requests.push(other);
    debugRetry('%s: %s has not answered in %d ms; asking %s as well', this.target.path, this.mirrors[first.mirror]?.label, delay, this.mirrors[other.mirror]?.label);
    const p2 = attempt(other);
    let winner: { request: Request; source: OpenedSource };
    try {
      winner = await Promise.any([p1, p2]);
    } catch (err) {
      // Both failed, each already recorded.
      throw (err as AggregateError).errors.at(-1);
    }
    const loser = winner.request === first ? other : first;
    if (!loser.recorded) {
      loser.abandoned = true;
      this.release(loser, true);
      // Only the first asked waited the full delay: only its mirror is the slow one.
      await this.fail(loser, new AttemptFailure('ERR_HEDGE_LOST', 'response', 'retry', `no response in ${delay} ms; ${this.mirrors[winner.request.mirror]?.label} answered first`), loser === first);
    }
    (loser === first ? p1 : p2).catch(() => {});
    return winner;
  }

  /** The hedge delay for a request to `mirror`, or undefined when hedging is off or pointless. */
  private hedgeDelay(mirror: number): number | undefined {
    const base = this.options.hedgeDelay;
    if (base === undefined || this.schedule.candidates().every((c) => c.mirror === mirror)) return undefined;
    return Math.max(base, 4 * this.context.pool.timeToHeaders(mirror));
  }

  /** Streams the winner's body, judges it, and puts the file in place. */
  private async finish(request: Request, source: OpenedSource, signal: AbortSignal): Promise<DownloadResult> {
    const mirror = this.mirrors[request.mirror] as Mirror;
    try {
      if (source.restarted) {
        debugRetry('%s: %s ignored Range, starting again from zero', this.target.path, mirror.label);
        await this.partial.reset();
      }
      const verdict = await this.transfer(request, mirror, source, signal);
      await this.partial.commit(this.destination).catch((err: unknown) => {
        throw new AttemptFailure('ERR_WRITE_FAILED', 'verify', 'fatal', `cannot move the verified file to ${this.destination}: ${(err as Error).message}`);
      });
      this.record(request, 'verify', 'OK', `verified ${verdict.rpm?.nevra ?? ''} (${verdict.size} bytes)`, source.status);
      this.context.pool.succeeded(request.mirror, request.sink?.written ?? 0, performance.now() - request.started);
      return resultOf(this.destination, source.url, mirror.label, false, [...this.attempts], verdict);
    } catch (err) {
      if (signal.aborted) throw err;
      throw await this.fail(request, classifyError(err, true));
    }
  }

  private record(request: Request, phase: Attempt['phase'], code: string, cause: string, status?: number, retryAfter?: number): Attempt {
    request.recorded = true;
    const attempt: Attempt = {
      mirror: (this.mirrors[request.mirror] as Mirror).label,
      url: request.url.href,
      attempt: request.attempt,
      phase,
      code,
      bytes: request.sink?.written ?? 0,
      offset: request.offset,
      duration: performance.now() - request.started,
      cause,
      ...(status !== undefined && { status }),
      ...(retryAfter !== undefined && { retryAfter }),
    };
    this.attempts.push(attempt);
    return attempt;
  }

  /** Streams the body through the stall monitor into the file and the verifier, then judges it. */
  private async transfer(request: Request, mirror: Mirror, source: OpenedSource, signal: AbortSignal): Promise<Verdict> {
    const temp = await this.partial.open().catch((err: unknown) => {
      throw new AttemptFailure('ERR_WRITE_FAILED', 'body', 'fatal', `cannot create a temporary file in ${this.options.dest}: ${(err as Error).message}`);
    });
    this.partial.sources++;
    // A big body is coming: boot the hash worker now, while the headers arrive.
    if (this.options.offload !== false && (source.length ?? 0) >= OFFLOAD_MIN_BYTES) prewarmHashWorkers();
    const verifier = this.partial.verifier;
    const sink = this.partial.sink(temp, this.progressReporter(mirror, source));
    request.sink = sink;
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

  /**
   * Records a failed request and applies what it means: the mirror's backoff or end for this target,
   * the pool's view of the mirror, the bytes held. Returns the failure, to be thrown.
   */
  private async fail(request: Request, failure: AttemptFailure, blameMirror = true): Promise<AttemptFailure> {
    if (request.recorded) return failure;
    const index = request.mirror;
    const mirror = this.mirrors[index] as Mirror;
    const attempt = this.record(request, failure.phase, failure.code, failure.message, failure.details.status, failure.details.retryAfter);
    this.release(request, true);
    const status = failure.details.status;
    if (status === 429 || status === 503) this.context.pool.throttled(index, failure.details.retryAfter);
    else if (blameMirror && (HEALTH_CODES.has(failure.code) || (status !== undefined && status >= 500))) this.context.pool.failed(index);
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
    if (failure.kind !== 'fatal') {
      const next = this.schedule.next();
      if (next) {
        const type = next.mirror === index ? 'retry' : 'failover';
        this.context.emit({ type, target: this.target.path, failed: attempt, next: (this.mirrors[next.mirror] as Mirror).label, wait: next.wait });
      }
    }
    return failure;
  }
}
