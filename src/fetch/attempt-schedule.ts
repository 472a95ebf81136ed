/**
 * The attempt order of one target across its mirrors (docs/architecture.md, "Attempt order"). Each
 * mirror has its own attempt budget and its own backoff clock for the target. After a failure the next
 * attempt goes to the first mirror, in the current order, that has attempts left and whose backoff has
 * run out; when none has, to the one whose backoff ends first. So a transient fault on the first mirror
 * costs one attempt there and the download moves on at once, while a lone mirror is simply retried with
 * backoff. Mirrors are values: one learned while the target runs joins with a full budget, a dropped
 * one is passed over.
 */
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { Mirror } from './mirror.js';

interface MirrorState {
  attemptsLeft: number;
  attemptsMade: number;
  consecutiveFailures: number;
  /** Not before this time (ms since epoch). */
  readyAt: number;
  /** Why the mirror is finished for this target, if it is. */
  done: string | undefined;
}

/** A mirror this target may still use, with when its backoff ends and the number its next attempt gets. */
export interface Candidate {
  readonly mirror: Mirror;
  readonly readyAt: number;
  /** 1-based attempt number on that mirror. */
  readonly attempt: number;
}

/** The next attempt to make: which mirror, after how long a wait. */
export interface NextAttempt {
  readonly mirror: Mirror;
  readonly wait: number;
  /** 1-based attempt number on that mirror. */
  readonly attempt: number;
}

export class AttemptSchedule {
  private readonly states = new Map<Mirror, MirrorState>();

  constructor(
    private readonly attemptsPerMirror: number,
    private readonly backoff: BackoffOptions,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  private state(mirror: Mirror): MirrorState {
    let s = this.states.get(mirror);
    if (!s) {
      s = { attemptsLeft: this.attemptsPerMirror, attemptsMade: 0, consecutiveFailures: 0, readyAt: 0, done: undefined };
      this.states.set(mirror, s);
    }
    return s;
  }

  /** Mirrors of `order` that still have attempts for this target, in that order. */
  candidates(order: readonly Mirror[]): Candidate[] {
    const out: Candidate[] = [];
    for (const mirror of order) {
      const s = this.state(mirror);
      if (!mirror.dropped && !s.done && s.attemptsLeft > 0) out.push({ mirror, readyAt: s.readyAt, attempt: s.attemptsMade + 1 });
    }
    return out;
  }

  /** The next attempt among `order`, or undefined when none has attempts left. */
  next(order: readonly Mirror[]): NextAttempt | undefined {
    const now = this.now();
    let best: Candidate | undefined;
    for (const c of this.candidates(order)) {
      if (c.readyAt <= now) {
        best = c;
        break;
      }
      if (!best || c.readyAt < best.readyAt) best = c;
    }
    return best && { mirror: best.mirror, wait: Math.max(0, best.readyAt - now), attempt: best.attempt };
  }

  /** Counts an attempt on `mirror` as started. */
  begin(mirror: Mirror): void {
    const s = this.state(mirror);
    s.attemptsLeft--;
    s.attemptsMade++;
  }

  /** A transient failure: the mirror rests for its backoff, or for `retryAfter` ms if the server asked for longer. */
  failed(mirror: Mirror, retryAfter?: number): number {
    const s = this.state(mirror);
    s.consecutiveFailures++;
    const delay = Math.max(backoffDelay(s.consecutiveFailures, this.backoff, this.random), retryAfter ?? 0);
    s.readyAt = this.now() + delay;
    return delay;
  }

  /** Progress was made (bytes arrived): the next failure backs off from the start again. */
  progressed(mirror: Mirror): void {
    this.state(mirror).consecutiveFailures = 0;
  }

  /** The mirror is finished for this target (404/410, wrong content, refused redirect, ...). */
  finish(mirror: Mirror, reason: string): void {
    this.state(mirror).done = reason;
  }

  /**
   * One more attempt on `mirror`, at once, even if its budget is spent: a resumed file failed
   * verification, and the mirror gets one chance from zero before it is given up.
   */
  grantFromZero(mirror: Mirror): void {
    const s = this.state(mirror);
    s.attemptsLeft = Math.max(s.attemptsLeft, 1);
    s.readyAt = 0;
  }
}
