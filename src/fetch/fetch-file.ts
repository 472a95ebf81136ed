/**
 * One file fetched with failover: the attempt runner every download and metadata fetch goes through.
 * It picks the mirror for each attempt (the target's budget and backoff, the mirrors' health and
 * slots), hedges a slow mirror with the next one, hands the body that answered to the Transfer, and
 * keeps the record: every attempt, the mirror's health, progress. What happens to the bytes is the
 * Transfer's (transfer.ts); the runner knows nothing of RPMs or XML.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import createDebug from 'debug';
import { DownloadError, type Attempt, type ErrorCode } from '../errors.js';
import { AttemptFailure, classifyError } from './attempt-failure.js';
import { AttemptSchedule } from './attempt-schedule.js';
import type { FetchEvent } from './events.js';
import type { Mirror } from './mirror.js';
import { orderMirrors } from './mirror-order.js';
import type { MirrorSet } from './mirror-set.js';
import type { FetchPolicy } from './policy.js';
import { ProgressReporter } from './progress-reporter.js';
import { redactText, redactUrl } from '../transport/redact.js';
import type { OpenedSource, Transfer } from './transfer.js';

const debugRetry = createDebug('rpmfetch:retry');
const debugMirror = createDebug('rpmfetch:mirror');

/** One file to fetch: where from, and what to do with its bytes. */
export interface FetchJob<T> {
  /** Names the file in events and errors: the target's path as given, or a metadata file's path. */
  readonly label: string;
  /** The mirrors to try, in order of preference; read again before every attempt (mirrors come and go). */
  mirrors(): readonly Mirror[];
  /** The file's URL on a mirror. */
  url(mirror: Mirror): URL;
  readonly transfer: Transfer<T>;
  /** Mirrors not to ask, with the reason (it goes into the record). */
  readonly skip?: ReadonlyMap<Mirror, string>;
  /** How a success reads in the record ("verified bash-…", "checked and parsed …"). */
  describe(value: T, bytes: number): string;
}

/** What every fetch of one Downloader shares. */
export interface FetchContext {
  readonly policy: FetchPolicy;
  /** Wakes waiting fetches when a slot is returned or a mirror is added. */
  readonly set: MirrorSet;
  readonly emit: (event: FetchEvent) => void;
}

/** A fetched file: the transfer's result and where it came from. */
export interface Fetched<T> {
  readonly value: T;
  readonly mirror: Mirror;
  /** URL after redirects, credentials masked. */
  readonly url: string;
  /** Every attempt made, the successful one last. */
  readonly attempts: readonly Attempt[];
  /** Bytes the successful request delivered. */
  readonly bytes: number;
}

/** Fetches one file; rejects with a {@link DownloadError} listing every attempt. */
export function fetchFile<T>(job: FetchJob<T>, context: FetchContext, signal?: AbortSignal): Promise<Fetched<T>> {
  return new FileFetch(job, context).run(signal);
}

/** One request to one mirror within an attempt round (a hedged round has two). */
interface Request {
  readonly mirror: Mirror;
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
  /** Its slot has been returned. */
  released: boolean;
  /** Its outcome is in the record. */
  recorded: boolean;
  /** Detaches the request from the fetch's signal. */
  detach: () => void;
}

/** Failures that say something about a mirror's health (content and 404 do not). */
const HEALTH_CODES = new Set(['ERR_CONNECT', 'ERR_CONNECT_TIMEOUT', 'ERR_RESPONSE_TIMEOUT', 'ERR_STALL', 'ERR_BODY_TRUNCATED', 'ERR_CONNECTION_RESET', 'ERR_NETWORK', 'ERR_TLS', 'ERR_HEDGE_LOST', 'ERR_BAD_RESPONSE']);

/**
 * Whether a failure counts towards `maxMirrorFailures` (README, "Mirror health"): a mirror that cannot
 * be reached or answers with errors, or serves bytes that fail verification. Not a 404/410 or another
 * 4xx (one file missing, a mirror out of sync), not 429/503 (the mirror asked us to slow down), not a
 * lost hedge (slow is not broken), not a resumed file that failed (its bytes came from several
 * responses), not our own trouble (fatal).
 */
function countsAgainstMirror(failure: AttemptFailure, resumed: boolean): boolean {
  if (failure.kind === 'fatal' || failure.code === 'ERR_HEDGE_LOST') return false;
  if (failure.phase === 'verify') return !resumed;
  const status = failure.details.status;
  return HEALTH_CODES.has(failure.code) || (status !== undefined && status >= 500 && status !== 503);
}

/**
 * Phases whose failure may come from a cache on the way holding a bad copy (a body cut short, bytes
 * that do not verify): the next requests carry `Cache-Control: no-cache` (README, "Across hosts: a
 * caching proxy").
 */
const REVALIDATE_AFTER: ReadonlySet<Attempt['phase']> = new Set(['body', 'verify']);

class FileFetch<T> {
  private readonly attempts: Attempt[] = [];
  private readonly schedule: AttemptSchedule;
  private readonly policy: FetchPolicy;
  private readonly transfer: Transfer<T>;
  private readonly label: string;
  /** An attempt got wrong, short or cut-off bytes: later requests ask caches on the way to revalidate. */
  private revalidate = false;
  /** Every mirror this file could have asked, for the final error's wording. */
  private readonly seen = new Set<Mirror>();

  constructor(
    private readonly job: FetchJob<T>,
    private readonly context: FetchContext,
  ) {
    this.policy = context.policy;
    this.transfer = job.transfer;
    this.label = job.label;
    this.schedule = new AttemptSchedule(this.policy.attemptsPerMirror, this.policy.backoff);
    for (const [mirror, reason] of job.skip ?? []) this.schedule.finish(mirror, reason);
  }

  async run(outer?: AbortSignal): Promise<Fetched<T>> {
    const total = this.policy.timeouts.total;
    const deadline = total !== undefined ? AbortSignal.timeout(total) : undefined;
    const signals = [outer, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? new AbortController().signal : AbortSignal.any(signals);
    try {
      for (;;) {
        try {
          return await this.round(signal);
        } catch (err) {
          if (signal.aborted || err instanceof DownloadError) throw err;
          if (err instanceof AttemptFailure && err.kind === 'fatal') throw err;
          // Another round: the schedule knows which mirror is next and when.
        }
      }
    } catch (err) {
      throw this.finalError(err, signal, deadline);
    } finally {
      await this.transfer.close();
    }
  }

  private finalError(err: unknown, signal: AbortSignal, deadline: AbortSignal | undefined): DownloadError {
    if (err instanceof DownloadError) return err;
    if (signal.aborted) {
      const timedOut = deadline?.aborted === true;
      const code: ErrorCode = timedOut ? 'ERR_TOTAL_TIMEOUT' : 'ERR_ABORTED';
      const why = timedOut ? `the total time limit of ${this.policy.timeouts.total} ms ran out` : 'aborted';
      return new DownloadError(code, this.label, why, this.attempts, { cause: signal.reason });
    }
    if (err instanceof AttemptFailure) {
      return new DownloadError(err.code === 'ERR_WRITE_FAILED' ? 'ERR_WRITE_FAILED' : 'ERR_ALL_MIRRORS_FAILED', this.label, err.message, this.attempts, { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new DownloadError('ERR_ALL_MIRRORS_FAILED', this.label, message, this.attempts, { cause: err });
  }

  /** One round: a mirror's turn (hedged if it is slow to answer), then the body. */
  private async round(signal: AbortSignal): Promise<Fetched<T>> {
    const primary = await this.acquire(signal, true);
    if (!primary) {
      const tried = this.attempts.length;
      throw new DownloadError('ERR_ALL_MIRRORS_FAILED', this.label, `${tried === 0 ? 'no mirror to ask' : `every mirror failed (${tried} attempt${tried === 1 ? '' : 's'})`}${this.retiredNote()}`, this.attempts);
    }
    const requests: Request[] = [];
    try {
      await this.transfer.ready?.();
      const first = this.start(primary.mirror, primary.attempt, signal, false);
      requests.push(first);
      const { request, source } = await this.openHedged(first, signal, requests);
      const reporter = new ProgressReporter((held, total, rate) => this.context.emit({ type: 'progress', target: this.label, mirror: request.mirror.label, bytes: held, rate, ...(total !== undefined && { total }) }));
      let value: T;
      try {
        value = await this.transfer.consume(source, request.offset, {
          mirror: request.mirror,
          signal: request.controller.signal,
          progress: (n, held, total) => {
            request.bytes += n;
            reporter.report(held, total);
          },
        });
      } catch (err) {
        source.discard();
        if (signal.aborted) throw err;
        throw await this.fail(request, classifyError(err, true));
      }
      reporter.flush();
      const ms = performance.now() - request.started;
      this.record(request, 'verify', 'OK', this.job.describe(value, request.bytes), source.status);
      request.mirror.succeeded(request.bytes, ms);
      return { value, mirror: request.mirror, url: source.url, attempts: [...this.attempts], bytes: request.bytes };
    } finally {
      for (const r of requests) this.release(r);
    }
  }

  /**
   * Waits for a mirror this file may use now (attempts left, its backoff over, no Retry-After block)
   * with a free connection slot, preferring healthy mirrors; takes the slot. Without `wait`, returns
   * undefined instead of waiting. Undefined also when no mirror has attempts left.
   */
  private async acquire(signal: AbortSignal, wait: boolean, exclude?: Mirror): Promise<{ mirror: Mirror; attempt: number } | undefined> {
    const suspectAfter = this.policy.hedgeDelay ?? this.policy.timeouts.response;
    for (;;) {
      const mirrors = this.job.mirrors();
      for (const m of mirrors) this.seen.add(m);
      const candidates = this.schedule.candidates(mirrors).filter((c) => c.mirror !== exclude);
      if (candidates.length === 0) return undefined;
      const now = Date.now();
      const wakeAt = candidates.map((c) => Math.max(c.readyAt, c.mirror.blockedUntil));
      const ready = candidates.filter((_, i) => (wakeAt[i] as number) <= now);
      if (ready.length === 0) {
        if (!wait) return undefined;
        const wakeUp = Math.min(...wakeAt) - now;
        debugRetry('%s: every mirror is resting, waiting %d ms', this.label, Math.round(wakeUp));
        // A mirror added meanwhile may serve at once.
        await Promise.race([sleep(wakeUp, undefined, { signal }), this.context.set.changed(signal)]);
        continue;
      }
      for (const mirror of orderMirrors(ready.map((c) => c.mirror), suspectAfter, this.policy.adaptive)) {
        if (mirror.tryAcquire()) {
          this.schedule.begin(mirror);
          return { mirror, attempt: (ready.find((c) => c.mirror === mirror) as { attempt: number }).attempt };
        }
      }
      if (!wait) return undefined;
      await this.context.set.changed(signal);
    }
  }

  private start(mirror: Mirror, attempt: number, signal: AbortSignal, hedge: boolean): Request {
    const url = this.job.url(mirror);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    const detach = () => signal.removeEventListener('abort', onAbort);
    const request: Request = { mirror, attempt, url, offset: this.transfer.held(), started: performance.now(), controller, hedge, abandoned: false, released: false, recorded: false, detach, bytes: 0 };
    this.context.emit({ type: 'started', target: this.label, mirror: mirror.label, url: redactUrl(url), attempt, offset: request.offset, ...(hedge && { hedge }) });
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
  private release(request: Request, cancel = false): void {
    if (cancel) request.controller.abort();
    if (request.released) return;
    request.released = true;
    request.detach();
    request.mirror.release();
  }

  /** Opens the source of one request, keeping the mirror informed of how long headers take. */
  private async open(request: Request): Promise<OpenedSource> {
    const token = request.mirror.requesting();
    try {
      const opened = await this.transfer.open(
        { url: request.url, offset: request.offset, expectedTotal: this.transfer.expectedTotal(), timeouts: this.policy.timeouts, signal: request.controller.signal, ...(this.revalidate && { revalidate: true }) },
        request.mirror,
      );
      request.mirror.responded(token, true);
      return opened;
    } catch (err) {
      request.mirror.responded(token, false);
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
          if (failure.details.heldDisagrees && r.offset > 0 && requests.length === 1 && !this.transfer.heldFrom(r.mirror)) {
            this.record(r, failure.phase, failure.code, `${failure.message}; the ${r.offset} bytes held are dropped and the whole file is asked for`, failure.details.status);
            await this.transfer.dropHeld();
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
    debugRetry('%s: %s has not answered in %d ms; asking %s as well', this.label, first.mirror.label, delay, other.mirror.label);
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
      await this.fail(loser, new AttemptFailure('ERR_HEDGE_LOST', 'response', 'retry', `no response in ${delay} ms; ${winner.request.mirror.label} answered first`), loser === first);
    }
    // The loser may still open; drop whatever it brings.
    (loser === first ? p1 : p2).then(
      (lost) => lost.source.discard(),
      () => {},
    );
    return winner;
  }

  /** The hedge delay for a request to `mirror`, or undefined when hedging is off or pointless. */
  private hedgeDelay(mirror: Mirror): number | undefined {
    const base = this.policy.hedgeDelay;
    if (base === undefined || this.schedule.candidates(this.job.mirrors()).every((c) => c.mirror === mirror)) return undefined;
    return Math.max(base, 4 * mirror.timeToHeaders);
  }

  /** Drops a mirror that reached `maxMirrorFailures` without serving a file, for every file of the Downloader. */
  private retire(mirror: Mirror): void {
    const n = mirror.countedFailures;
    const why = `dropped after ${n} failed attempt${n === 1 ? '' : 's'} without serving a file (maxMirrorFailures)`;
    debugMirror('%s: %s', mirror.label, why);
    this.context.set.retire(mirror, why);
    this.context.emit({ type: 'mirror-dropped', target: this.label, mirror: mirror.label, failures: n, reason: why });
  }

  /** "; A dropped after …" for the mirrors this file lost to `maxMirrorFailures`, or ''. */
  private retiredNote(): string {
    const retired = [...this.context.set.retired];
    if (retired.length === 0) return '';
    // A file that found no mirror at all lost the Downloader's own to retirement.
    const mine = this.seen.size > 0 ? retired.filter(([m]) => this.seen.has(m)) : retired.filter(([, r]) => r.fromSet);
    return mine.length === 0 ? '' : `; ${mine.map(([m, r]) => `${m.label} ${r.why}`).join('; ')}`;
  }

  private record(request: Request, phase: Attempt['phase'], code: string, cause: string, status?: number, retryAfter?: number): Attempt {
    request.recorded = true;
    const attempt: Attempt = {
      mirror: request.mirror.label,
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
   * Records a failed request and applies what it means: the mirror's backoff or end for this file, the
   * mirror's health, the bytes held. Returns the failure, to be thrown.
   */
  private async fail(request: Request, failure: AttemptFailure, blameMirror = true): Promise<AttemptFailure> {
    if (request.recorded) return failure;
    const mirror = request.mirror;
    const attempt = this.record(request, failure.phase, failure.code, failure.message, failure.details.status, failure.details.retryAfter);
    this.release(request, true);
    if (REVALIDATE_AFTER.has(failure.phase) || failure.details.heldDisagrees) this.revalidate = true;
    const status = failure.details.status;
    if (status === 429 || status === 503) mirror.throttled(failure.details.retryAfter);
    else if (blameMirror && (HEALTH_CODES.has(failure.code) || (status !== undefined && status >= 500))) mirror.failed();
    const resumed = this.transfer.resumed();
    if (blameMirror && countsAgainstMirror(failure, resumed) && mirror.countFailure()) this.retire(mirror);
    if (attempt.bytes > 0) this.schedule.progressed(mirror);
    if (failure.kind === 'mirror-done' && failure.phase === 'verify' && resumed) {
      // The bytes came from more than one response: do not blame this mirror before it has served the
      // whole file in one go.
      debugRetry('%s: resumed file failed verification (%s); fetching once more from zero from %s', this.label, failure.code, mirror.label);
      await this.transfer.dropHeld();
      this.schedule.grantFromZero(mirror);
    } else if (failure.kind === 'mirror-done') {
      debugMirror('%s: %s is done for this file: %s %s', this.label, mirror.label, failure.code, failure.message);
      this.schedule.finish(mirror, failure.message);
      if (failure.details.resetPartial) await this.transfer.dropHeld();
    } else if (failure.kind === 'retry') {
      const retryAfter = failure.details.retryAfter;
      if (retryAfter !== undefined && retryAfter > this.policy.maxRetryAfter) {
        debugMirror('%s: %s asks to wait %d ms, more than the %d ms honoured; giving it up', this.label, mirror.label, retryAfter, this.policy.maxRetryAfter);
        this.schedule.finish(mirror, `Retry-After ${retryAfter} ms`);
      } else {
        const delay = this.schedule.failed(mirror, retryAfter);
        debugRetry('%s: %s failed (%s), resting %d ms', this.label, mirror.label, failure.code, Math.round(delay));
      }
      if (failure.details.resetPartial) await this.transfer.dropHeld();
    }
    if (failure.kind !== 'fatal') {
      const next = this.schedule.next(this.job.mirrors());
      if (next) this.context.emit({ type: next.mirror === mirror ? 'retry' : 'failover', target: this.label, failed: attempt, next: next.mirror.label, wait: next.wait });
    }
    return failure;
  }
}
