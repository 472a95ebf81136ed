/**
 * Mirror health shared by every download of one Downloader: connection slots per mirror, consecutive
 * failures and a cooldown that doubles, Retry-After and a lowered concurrency after 429/503, requests
 * waiting for headers for too long, and (optionally) observed throughput. It only orders and gates;
 * each target keeps its own attempt budget and backoff (see attempt-schedule.ts).
 */
import createDebug from 'debug';

const debug = createDebug('rpmfetch:mirror');

/** Pool behaviour. */
export interface MirrorPoolOptions {
  /** Connections (requests in flight) per mirror. */
  connectionsPerMirror: number;
  /** Consecutive failures, with no success between, that put a mirror in cooldown. */
  cooldownAfter: number;
  /** First cooldown in ms; each further cooldown without a success in between doubles it. */
  cooldown: number;
  /** Order healthy mirrors by observed success and throughput instead of the caller's order. */
  adaptive: boolean;
}

interface MirrorHealth {
  label: string;
  limit: number;
  inFlight: number;
  consecutiveFailures: number;
  coolingUntil: number;
  cooldowns: number;
  /** Hard stop from Retry-After: no new request before this time while another mirror can serve. */
  blockedUntil: number;
  /** Requests waiting for response headers: token → start time. */
  waiting: Map<number, number>;
  /** Time to response headers in ms, exponentially weighted (0 until measured). */
  ttfb: number;
  successes: number;
  failures: number;
  /** Bytes per second, exponentially weighted. */
  throughput: number;
  successesSinceThrottle: number;
}

/** What a mirror looks like to the scheduler at one moment. */
export type MirrorCondition = 'healthy' | 'suspect' | 'cooling';

export class MirrorPool {
  private readonly mirrors: MirrorHealth[];
  private slotWaiters: Array<() => void> = [];
  private nextToken = 1;

  constructor(
    labels: readonly string[],
    private readonly options: MirrorPoolOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.mirrors = labels.map((label) => ({
      label,
      limit: options.connectionsPerMirror,
      inFlight: 0,
      consecutiveFailures: 0,
      coolingUntil: 0,
      cooldowns: 0,
      blockedUntil: 0,
      waiting: new Map(),
      ttfb: 0,
      successes: 0,
      failures: 0,
      throughput: 0,
      successesSinceThrottle: 0,
    }));
  }

  /**
   * A mirror is `suspect` while one of its requests has waited longer than `suspectAfter` ms for
   * headers (a hang costs the batch one wait, not one per target), `cooling` after repeated failures.
   */
  condition(index: number, suspectAfter: number): MirrorCondition {
    const m = this.mirrors[index] as MirrorHealth;
    const now = this.now();
    if (m.coolingUntil > now) return 'cooling';
    for (const started of m.waiting.values()) if (now - started >= suspectAfter) return 'suspect';
    return 'healthy';
  }

  /** Until when Retry-After keeps the mirror from new requests (0 when it does not). */
  blockedUntil(index: number): number {
    const until = (this.mirrors[index] as MirrorHealth).blockedUntil;
    return until > this.now() ? until : 0;
  }

  /**
   * Candidates in order of preference: healthy ones first (the caller's order, or by observed
   * throughput when adaptive), then suspect ones, then cooling ones, soonest back first. Never empty
   * when given candidates: when every mirror is cooling the least bad still serves.
   */
  order(candidates: readonly number[], suspectAfter: number): number[] {
    const rank = { healthy: 0, suspect: 1, cooling: 2 } as const;
    const keyed = candidates.map((i, position) => ({ i, position, condition: this.condition(i, suspectAfter), m: this.mirrors[i] as MirrorHealth }));
    keyed.sort((a, b) => {
      const byCondition = rank[a.condition] - rank[b.condition];
      if (byCondition) return byCondition;
      if (a.condition === 'cooling') return a.m.coolingUntil - b.m.coolingUntil;
      if (this.options.adaptive && a.condition === 'healthy') {
        const score = (m: MirrorHealth) => ((m.successes + 1) / (m.successes + m.failures + 2)) * (m.throughput || 1);
        const diff = score(b.m) - score(a.m);
        if (Math.abs(diff) > 1e-9) return diff;
      }
      return a.position - b.position;
    });
    return keyed.map((k) => k.i);
  }

  /** Takes a connection slot on the mirror, if one is free. */
  tryAcquire(index: number): boolean {
    const m = this.mirrors[index] as MirrorHealth;
    if (m.inFlight >= m.limit) return false;
    m.inFlight++;
    return true;
  }

  /** Returns a slot. */
  release(index: number): void {
    const m = this.mirrors[index] as MirrorHealth;
    m.inFlight = Math.max(0, m.inFlight - 1);
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when some slot is returned (or the signal aborts). */
  slotReleased(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.slotWaiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** A request was sent; returns the token to pass to {@link responded}. */
  requesting(index: number): number {
    const token = this.nextToken++;
    (this.mirrors[index] as MirrorHealth).waiting.set(token, this.now());
    return token;
  }

  /** The request `token` got its headers (`answered`), or ended without them. */
  responded(index: number, token: number, answered: boolean): void {
    const m = this.mirrors[index] as MirrorHealth;
    const started = m.waiting.get(token);
    m.waiting.delete(token);
    if (answered && started !== undefined) {
      const ms = this.now() - started;
      m.ttfb = m.ttfb ? m.ttfb * 0.8 + ms * 0.2 : ms;
    }
  }

  /** Typical time to response headers on the mirror (ms), or 0 before the first answer. */
  timeToHeaders(index: number): number {
    return (this.mirrors[index] as MirrorHealth).ttfb;
  }

  /** The mirror served a target: health restored, cooldowns forgotten. */
  succeeded(index: number, bytes: number, ms: number): void {
    const m = this.mirrors[index] as MirrorHealth;
    m.successes++;
    m.consecutiveFailures = 0;
    m.cooldowns = 0;
    m.coolingUntil = 0;
    if (bytes > 0 && ms > 0) {
      const rate = (bytes * 1000) / ms;
      m.throughput = m.throughput ? m.throughput * 0.7 + rate * 0.3 : rate;
    }
    // Earn concurrency back slowly after a 429/503 lowered it.
    if (m.limit < this.options.connectionsPerMirror && ++m.successesSinceThrottle >= 8) {
      m.limit++;
      m.successesSinceThrottle = 0;
    }
  }

  /** An attempt on the mirror failed in a way that says something about the mirror. */
  failed(index: number): void {
    const m = this.mirrors[index] as MirrorHealth;
    m.failures++;
    m.consecutiveFailures++;
    if (m.consecutiveFailures >= this.options.cooldownAfter && m.coolingUntil <= this.now()) {
      const length = this.options.cooldown * 2 ** m.cooldowns;
      m.cooldowns++;
      m.coolingUntil = this.now() + length;
      m.consecutiveFailures = 0;
      debug('%s: %d consecutive failures, cooling down for %d s', m.label, this.options.cooldownAfter, Math.round(length / 1000));
    }
  }

  /** 429/503: fewer connections to this mirror, and no new request before Retry-After. */
  throttled(index: number, retryAfter: number | undefined): void {
    const m = this.mirrors[index] as MirrorHealth;
    m.limit = Math.max(1, Math.floor(m.limit / 2));
    m.successesSinceThrottle = 0;
    if (retryAfter !== undefined) m.blockedUntil = Math.max(m.blockedUntil, this.now() + retryAfter);
    debug('%s: throttled, %d connection(s)%s', m.label, m.limit, retryAfter !== undefined ? `, nothing new for ${retryAfter} ms` : '');
  }

  /** A snapshot for tests and diagnostics. */
  snapshot(): Array<{
    /** The mirror base as configured. */
    label: string;
    /** Requests allowed in flight now: `connectionsPerMirror`, halved after each 429/503 and earned back slowly. */
    limit: number;
    /** Requests in flight now. */
    inFlight: number;
    /** Epoch milliseconds until which the mirror is in cooldown; 0 (or past) when it is not. */
    coolingUntil: number;
    /** Files (packages and metadata) the mirror has served. */
    successes: number;
    /** Failed attempts blamed on the mirror (connection trouble, timeouts, stalls, 5xx other than 503). */
    failures: number;
  }> {
    return this.mirrors.map((m) => ({ label: m.label, limit: m.limit, inFlight: m.inFlight, coolingUntil: m.coolingUntil, successes: m.successes, failures: m.failures }));
  }
}
