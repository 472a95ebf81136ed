/**
 * The attempt machinery shared by everything fetched from mirrors: per-target attempt budgets and
 * backoff (attempt-schedule.ts), the shared pool's health and slots, hedged requests, the attempt log,
 * and the p-retry loop. Subclasses say what to do with a body: verify a package into a file, or parse
 * repository metadata.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import createDebug from 'debug';
import pRetry, { AbortError } from 'p-retry';
import { DownloadError, type Attempt, type ErrorCode } from '../errors.js';
import { AttemptFailure, classifyError } from './attempt-failure.js';
import { AttemptSchedule } from './attempt-schedule.js';
import type { DownloadEvent } from './events.js';
import type { Mirror } from './mirror.js';
import type { MirrorPool } from './mirror-pool.js';
import type { NetworkAgents } from './agents.js';
import type { ResolvedOptions } from './options.js';
import { redactText, redactUrl } from './redact.js';
import { openFile, openHttp, type OpenedSource, type SourceRequest } from './sources.js';

const debugRetry = createDebug('rpmfetch:retry');
const debugMirror = createDebug('rpmfetch:mirror');

/** What a fetch shares with the others of its Downloader. */
export interface TargetContext {
  readonly options: ResolvedOptions;
  readonly mirrors: readonly Mirror[];
  readonly pool: MirrorPool;
  readonly agents?: NetworkAgents;
  readonly emit: (event: DownloadEvent) => void;
}

/** One request to one mirror within an attempt round (a hedged round has two). */
export interface Request {
  readonly mirror: number;
  readonly attempt: number;
  readonly url: URL;
  readonly offset: number;
  readonly started: number;
  readonly controller: AbortController;
  readonly hedge: boolean;
  /** Bytes this request has delivered. */
  bytes: number;
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

export abstract class AttemptLoop<T> {
  protected readonly attempts: Attempt[] = [];
  protected readonly schedule: AttemptSchedule;
  protected readonly options: ResolvedOptions;
  protected readonly mirrors: readonly Mirror[];

  constructor(
    /** The target's path or URL, as events and errors name it. */
    protected readonly label: string,
    protected readonly context: TargetContext,
  ) {
    this.options = context.options;
    this.mirrors = context.mirrors;
    this.schedule = new AttemptSchedule(this.mirrors.length, this.options.attemptsPerMirror, this.options.backoff);
  }

  /** The URL of the target on a mirror. */
  protected abstract urlFor(mirror: Mirror): URL;
  /** Consumes a body that answered; throws a failure to be recorded, or returns the result. */
  protected abstract finish(request: Request, source: OpenedSource, signal: AbortSignal): Promise<T>;
  /** Bytes already held, to resume from (0 for fetches that always start over). */
  protected held(): number {
    return 0;
  }
  /** The full length expected, if known (checks Content-Range). */
  protected expectedTotal(): number | undefined {
    return undefined;
  }
  /** True when the bytes held came from more than one response. */
  protected resumed(): boolean {
    return false;
  }
  /** True when some of the bytes held came from this mirror. */
  protected heldFrom(_mirror: number): boolean {
    return false;
  }
  /** Forgets the bytes held. */
  protected async dropHeld(): Promise<void> {}
  /** Called once the loop has ended, success or not. */
  protected async cleanup(): Promise<void> {}
  /** Reports the outcome. */
  protected abstract succeeded(result: T): void;
  protected abstract failedFinally(error: DownloadError): void;

  async run(outer?: AbortSignal): Promise<T> {
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
      this.succeeded(result);
      return result;
    } catch (err) {
      const error = this.finalError(err, signal, deadline);
      this.failedFinally(error);
      throw error;
    } finally {
      await this.cleanup();
    }
  }

  protected finalError(err: unknown, signal: AbortSignal, deadline: AbortSignal | undefined): DownloadError {
    if (err instanceof DownloadError) return err;
    if (signal.aborted) {
      const timedOut = deadline?.aborted === true;
      const code: ErrorCode = timedOut ? 'ERR_TOTAL_TIMEOUT' : 'ERR_ABORTED';
      const why = timedOut ? `the total time limit of ${this.options.timeouts.total} ms ran out` : 'aborted';
      return new DownloadError(code, this.label, why, this.attempts, { cause: signal.reason });
    }
    if (err instanceof AttemptFailure) {
      return new DownloadError(err.code === 'ERR_WRITE_FAILED' ? 'ERR_WRITE_FAILED' : 'ERR_ALL_MIRRORS_FAILED', this.label, err.message, this.attempts, { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new DownloadError('ERR_ALL_MIRRORS_FAILED', this.label, message, this.attempts, { cause: err });
  }

  /** One p-retry round: a mirror's turn (hedged if it is slow to answer), then the body. */
  private async round(signal: AbortSignal): Promise<T> {
    const primary = await this.acquire(signal, true);
    if (!primary) {
      const tried = this.attempts.length;
      throw new AbortError(new DownloadError('ERR_ALL_MIRRORS_FAILED', this.label, `every mirror failed (${tried} attempt${tried === 1 ? '' : 's'})`, this.attempts));
    }
    const requests: Request[] = [];
    try {
      const first = this.start(primary.mirror, primary.attempt, signal, false);
      requests.push(first);
      const { request, source } = await this.openHedged(first, signal, requests);
      try {
        return await this.finish(request, source, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        throw await this.fail(request, classifyError(err, true));
      }
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
        debugRetry('%s: every mirror is resting, waiting %d ms', this.label, Math.round(wakeUp));
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
    const url = this.urlFor(m);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    const detach = () => signal.removeEventListener('abort', onAbort);
    const request: Request = { mirror, attempt, url, offset: this.held(), started: performance.now(), controller, hedge, abandoned: false, released: false, recorded: false, detach, bytes: 0 };
    this.context.emit({ type: 'started', target: this.label, mirror: m.label, url: redactUrl(url), attempt, offset: request.offset, ...(hedge && { hedge }) });
    return request;
  }

  /** A new request in place of `r`, from byte 0, on the same mirror and slot and as the same attempt. */
  private restartFromZero(r: Request, signal: AbortSignal): Request {
    r.detach();
    r.released = true; // its slot passes to the new request
    const again = this.start(r.mirror, r.attempt, signal, r.hedge);
    if (again.offset !== 0) throw new Error('restartFromZero: bytes are still held');
    return again;
  }

  /** Returns the request's slot; `cancel` also stops it (a finished request keeps its connection alive). */
  protected release(request: Request, cancel = false): void {
    if (cancel) request.controller.abort();
    if (request.released) return;
    request.released = true;
    request.detach();
    this.context.pool.release(request.mirror);
  }

  /** Opens the source of one request, keeping the pool informed of how long headers take. */
  private async open(request: Request): Promise<OpenedSource> {
    const mirror = this.mirrors[request.mirror] as Mirror;
    const source: SourceRequest = {
      offset: request.offset,
      expectedTotal: this.expectedTotal(),
      timeouts: this.options.timeouts,
      signal: request.controller.signal,
      ...(this.context.agents && { agents: this.context.agents }),
      ...(this.options.tls && { tls: this.options.tls }),
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
          const failure = classifyError(err, false);
          // Alone in its round, a request whose mirror disagrees with the bytes held starts over from
          // zero on that mirror: the held bytes may be the wrong ones, and must not cost it an attempt.
          if (failure.details.heldDisagrees && r.offset > 0 && requests.length === 1 && !this.heldFrom(r.mirror)) {
            this.record(r, failure.phase, failure.code, `${failure.message}; the ${r.offset} bytes held are dropped and the whole file is asked for`, failure.details.status);
            await this.dropHeld();
            const again = this.restartFromZero(r, signal);
            requests.push(again);
            return attempt(again);
          }
          throw await this.fail(r, failure);
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
    debugRetry('%s: %s has not answered in %d ms; asking %s as well', this.label, this.mirrors[first.mirror]?.label, delay, this.mirrors[other.mirror]?.label);
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

  protected record(request: Request, phase: Attempt['phase'], code: string, cause: string, status?: number, retryAfter?: number): Attempt {
    request.recorded = true;
    const attempt: Attempt = {
      mirror: (this.mirrors[request.mirror] as Mirror).label,
      url: redactUrl(request.url),
      attempt: request.attempt,
      phase,
      code,
      bytes: request.bytes,
      offset: request.offset,
      duration: performance.now() - request.started,
      // Causes quote servers and libraries, which may quote a URL with its credentials.
      cause: redactText(cause),
      ...(status !== undefined && { status }),
      ...(retryAfter !== undefined && { retryAfter }),
    };
    this.attempts.push(attempt);
    return attempt;
  }

  /**
   * Records a failed request and applies what it means: the mirror's backoff or end for this target,
   * the pool's view of the mirror, the bytes held. Returns the failure, to be thrown.
   */
  protected async fail(request: Request, failure: AttemptFailure, blameMirror = true): Promise<AttemptFailure> {
    if (request.recorded) return failure;
    const index = request.mirror;
    const mirror = this.mirrors[index] as Mirror;
    const attempt = this.record(request, failure.phase, failure.code, failure.message, failure.details.status, failure.details.retryAfter);
    this.release(request, true);
    const status = failure.details.status;
    if (status === 429 || status === 503) this.context.pool.throttled(index, failure.details.retryAfter);
    else if (blameMirror && (HEALTH_CODES.has(failure.code) || (status !== undefined && status >= 500))) this.context.pool.failed(index);
    const resumed = this.resumed();
    if (attempt.bytes > 0) this.schedule.progressed(index);
    if (failure.kind === 'mirror-done' && failure.phase === 'verify' && resumed) {
      // The bytes came from more than one response: do not blame this mirror before it has served
      // the whole file in one go.
      debugRetry('%s: resumed file failed verification (%s); fetching once more from zero from %s', this.label, failure.code, mirror.label);
      await this.dropHeld();
      this.schedule.grantFromZero(index);
    } else if (failure.kind === 'mirror-done') {
      debugMirror('%s: %s is done for this target: %s %s', this.label, mirror.label, failure.code, failure.message);
      this.schedule.finish(index, failure.message);
      if (failure.details.resetPartial) await this.dropHeld();
    } else if (failure.kind === 'retry') {
      const retryAfter = failure.details.retryAfter;
      if (retryAfter !== undefined && retryAfter > this.options.maxRetryAfter) {
        debugMirror('%s: %s asks to wait %d ms, more than the %d ms honoured; giving it up', this.label, mirror.label, retryAfter, this.options.maxRetryAfter);
        this.schedule.finish(index, `Retry-After ${retryAfter} ms`);
      } else {
        const delay = this.schedule.failed(index, retryAfter);
        debugRetry('%s: %s failed (%s), resting %d ms', this.label, mirror.label, failure.code, Math.round(delay));
      }
      if (failure.details.resetPartial) await this.dropHeld();
    }
    if (failure.kind !== 'fatal') {
      const next = this.schedule.next();
      if (next) {
        const type = next.mirror === index ? 'retry' : 'failover';
        this.context.emit({ type, target: this.label, failed: attempt, next: (this.mirrors[next.mirror] as Mirror).label, wait: next.wait });
      }
    }
    return failure;
  }
}
