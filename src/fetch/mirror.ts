/**
 * A mirror is a value: a base URL (`http://`, `https://` or `file://`, an NFS-mounted package tree) with
 * its identity, its health and its limits. Targets and Downloaders hold mirrors, not positions in a
 * list, so mirrors can be learned and dropped while downloads run (docs/architecture.md, "Mirrors").
 *
 * Health is what every download of one Downloader shares: connection slots, consecutive failures and
 * a cooldown that doubles, Retry-After and a lowered concurrency after 429/503, requests waiting for
 * headers too long, and the observed throughput. Each target keeps its own attempt budget and backoff
 * (attempt-schedule.ts).
 */
import { fileURLToPath } from 'node:url';
import createDebug from 'debug';
import { InvalidOptionError } from '../errors.js';
import { redactUrl } from '../transport/redact.js';

const debug = createDebug('rpmfetch:mirror');

/** How health turns into order and gates; the same for every mirror of a Downloader. */
export interface HealthPolicy {
  /** Connections (requests in flight) per mirror. */
  readonly connectionsPerMirror: number;
  /** Consecutive failures, with no success between, that put a mirror in cooldown. */
  readonly cooldownAfter: number;
  /** First cooldown in ms; each further cooldown without a success in between doubles it. */
  readonly cooldown: number;
  /** Failed attempts after which a mirror that has served nothing is dropped (`maxMirrorFailures`); 0 or absent: never. */
  readonly maxFailures?: number;
}

/** What a mirror looks like to the scheduler at one moment. */
export type MirrorCondition = 'healthy' | 'suspect' | 'cooling';

/** A mirror's health for diagnostics (`Downloader.mirrors()`). */
export interface MirrorSnapshot {
  /** The mirror base as configured, credentials masked. */
  readonly label: string;
  /** Requests allowed in flight now: `connectionsPerMirror`, halved after each 429/503 and earned back slowly. */
  readonly limit: number;
  /** Requests in flight now. */
  readonly inFlight: number;
  /** Epoch milliseconds until which the mirror is in cooldown; 0 (or past) when it is not. */
  readonly coolingUntil: number;
  /** Files (packages and metadata) the mirror has served. */
  readonly successes: number;
  /** Failed attempts blamed on the mirror (connection trouble, timeouts, stalls, 5xx other than 503). */
  readonly failures: number;
  /** The mirror was dropped: no new attempt goes to it. */
  readonly dropped: boolean;
}

let nextId = 1;

/** Parses and checks a mirror base; throws {@link InvalidOptionError} for anything but http(s) and file URLs. */
export function parseMirrorBase(input: string | URL): URL {
  const text = String(input);
  const label = redactUrl(text);
  let base: URL;
  try {
    base = new URL(text);
  } catch {
    throw new InvalidOptionError(`mirror "${label}" is not a URL (use http://, https:// or file://)`);
  }
  if (!['http:', 'https:', 'file:'].includes(base.protocol)) throw new InvalidOptionError(`mirror "${label}": only http, https and file URLs are supported`);
  // A fragment is never sent; dropped here, it cannot end up between a path and a query either.
  base.hash = '';
  if (base.protocol === 'file:') {
    if (base.search) throw new InvalidOptionError(`mirror "${label}": a file URL cannot have a query`);
    try {
      fileURLToPath(base);
    } catch (err) {
      throw new InvalidOptionError(`mirror "${label}": ${(err as Error).message}`);
    }
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

export class Mirror {
  /** Unique in the process: tells two mirrors with the same URL apart. */
  readonly id = nextId++;
  /** The base as the caller gave it, credentials masked (see redact.ts); attempts and errors name mirrors this way. */
  readonly label: string;
  readonly kind: 'http' | 'file';
  /** No new attempt goes to a dropped mirror; requests already running finish. */
  dropped = false;

  private limitNow: number;
  private inFlightNow = 0;
  private consecutiveFailures = 0;
  private coolingUntilTime = 0;
  private cooldowns = 0;
  /** Hard stop from Retry-After: no new request before this time while another mirror can serve. */
  private blockedUntilTime = 0;
  /** Requests waiting for response headers: token → start time. */
  private readonly waiting = new Map<number, number>();
  private nextToken = 1;
  /** Time to response headers in ms, exponentially weighted (0 until measured). */
  private ttfb = 0;
  private successes = 0;
  private failures = 0;
  /** Failed attempts that count towards `maxFailures` (fetch-file.ts decides which). */
  private capFailures = 0;
  /** Bytes per second, exponentially weighted. */
  private throughputNow = 0;
  private successesSinceThrottle = 0;

  /**
   * `base` is the URL requests go to (credentials included); `label` is what output shows.
   * `onSlotFreed` hears every returned slot (the set wakes targets waiting for one).
   */
  constructor(
    readonly base: URL,
    private readonly policy: HealthPolicy,
    private readonly onSlotFreed: () => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.label = redactUrl(base);
    this.kind = base.protocol === 'file:' ? 'file' : 'http';
    this.limitNow = policy.connectionsPerMirror;
  }

  /**
   * The URL of a target's path segments under this mirror (each segment percent-encoded). A signed or
   * token base (`https://cdn/repo/?token=…`) keeps its query after the joined path
   * (`https://cdn/repo/Packages/a.rpm?token=…`), as librepo and dnf send it.
   */
  urlOf(segments: readonly string[]): URL {
    const url = new URL(segments.map(encodeSegment).join('/'), this.base);
    url.search = this.base.search;
    return url;
  }

  /**
   * `suspect` while one of its requests has waited longer than `suspectAfter` ms for headers (a hang
   * costs a batch one wait, not one per target), `cooling` after repeated failures.
   */
  condition(suspectAfter: number): MirrorCondition {
    const now = this.now();
    if (this.coolingUntilTime > now) return 'cooling';
    for (const started of this.waiting.values()) if (now - started >= suspectAfter) return 'suspect';
    return 'healthy';
  }

  /** Until when Retry-After keeps the mirror from new requests (0 when it does not). */
  get blockedUntil(): number {
    return this.blockedUntilTime > this.now() ? this.blockedUntilTime : 0;
  }

  /** Epoch ms until which the mirror cools down (0 or past when it does not). */
  get coolingUntil(): number {
    return this.coolingUntilTime;
  }

  /** Success rate times throughput: the adaptive order's score. */
  get score(): number {
    return ((this.successes + 1) / (this.successes + this.failures + 2)) * (this.throughputNow || 1);
  }

  /** Takes a connection slot, if one is free. */
  tryAcquire(): boolean {
    if (this.inFlightNow >= this.limitNow) return false;
    this.inFlightNow++;
    return true;
  }

  /** Returns a slot. */
  release(): void {
    this.inFlightNow = Math.max(0, this.inFlightNow - 1);
    this.onSlotFreed();
  }

  /** A request was sent; returns the token to pass to {@link responded}. */
  requesting(): number {
    const token = this.nextToken++;
    this.waiting.set(token, this.now());
    return token;
  }

  /** The request `token` got its headers (`answered`), or ended without them. */
  responded(token: number, answered: boolean): void {
    const started = this.waiting.get(token);
    this.waiting.delete(token);
    if (answered && started !== undefined) {
      const ms = this.now() - started;
      this.ttfb = this.ttfb ? this.ttfb * 0.8 + ms * 0.2 : ms;
    }
  }

  /** Typical time to response headers (ms), or 0 before the first answer. */
  get timeToHeaders(): number {
    return this.ttfb;
  }

  /** The mirror served a file: health restored, cooldowns forgotten. */
  succeeded(bytes: number, ms: number): void {
    this.successes++;
    this.consecutiveFailures = 0;
    this.cooldowns = 0;
    this.coolingUntilTime = 0;
    if (bytes > 0 && ms > 0) {
      const rate = (bytes * 1000) / ms;
      this.throughputNow = this.throughputNow ? this.throughputNow * 0.7 + rate * 0.3 : rate;
    }
    // Earn concurrency back slowly after a 429/503 lowered it.
    if (this.limitNow < this.policy.connectionsPerMirror && ++this.successesSinceThrottle >= 8) {
      this.limitNow++;
      this.successesSinceThrottle = 0;
    }
  }

  /** An attempt failed in a way that says something about the mirror. */
  failed(): void {
    this.failures++;
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.policy.cooldownAfter && this.coolingUntilTime <= this.now()) {
      const length = this.policy.cooldown * 2 ** this.cooldowns;
      this.cooldowns++;
      this.coolingUntilTime = this.now() + length;
      this.consecutiveFailures = 0;
      debug('%s: %d consecutive failures, cooling down for %d s', this.label, this.policy.cooldownAfter, Math.round(length / 1000));
    }
  }

  /**
   * An attempt failed in a way that counts towards `maxFailures`. True when the mirror has now
   * reached it without having served a file: it is to be dropped (librepo's `allowedmirrorfailures`).
   */
  countFailure(): boolean {
    this.capFailures++;
    const cap = this.policy.maxFailures ?? 0;
    return cap > 0 && this.successes === 0 && this.capFailures >= cap && !this.dropped;
  }

  /** Failed attempts counted towards `maxFailures`. */
  get countedFailures(): number {
    return this.capFailures;
  }

  /** 429/503: fewer connections, and no new request before Retry-After. */
  throttled(retryAfter: number | undefined): void {
    this.limitNow = Math.max(1, Math.floor(this.limitNow / 2));
    this.successesSinceThrottle = 0;
    if (retryAfter !== undefined) this.blockedUntilTime = Math.max(this.blockedUntilTime, this.now() + retryAfter);
    debug('%s: throttled, %d connection(s)%s', this.label, this.limitNow, retryAfter !== undefined ? `, nothing new for ${retryAfter} ms` : '');
  }

  /** Health as plain data. */
  snapshot(): MirrorSnapshot {
    return { label: this.label, limit: this.limitNow, inFlight: this.inFlightNow, coolingUntil: this.coolingUntilTime, successes: this.successes, failures: this.failures, dropped: this.dropped };
  }
}

/** Characters that may stand unescaped in a path segment (RFC 3986 pchar minus '%'). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(2B|3A|40|21|24|26|27|28|29|2A|2C|3B|3D)/g, (m) => decodeURIComponent(m));
}
