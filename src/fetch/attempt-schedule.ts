/**
 * The attempt order of one target across its mirrors (DESIGN.md, "Attempt order"). Each mirror has its
 * own attempt budget and its own backoff clock. After a failure the next attempt goes to the first
 * mirror, in the caller's order, that has attempts left and whose backoff has run out; when none has,
 * to the one whose backoff ends first. So a transient fault on the first mirror costs one attempt there
 * and the download moves on at once, while a lone mirror is simply retried with backoff.
 */
import { backoffDelay, type BackoffOptions } from './backoff.js';

interface MirrorState {
  attemptsLeft: number;
  attemptsMade: number;
  consecutiveFailures: number;
  /** Not before this time (ms since epoch). */
  readyAt: number;
  /** Why the mirror is finished for this target, if it is. */
  done: string | undefined;
}

/** The next attempt to make: which mirror, after how long a wait. */
export interface NextAttempt {
  readonly mirror: number;
  readonly wait: number;
  /** 1-based attempt number on that mirror. */
  readonly attempt: number;
}

export class AttemptSchedule {
  private readonly mirrors: MirrorState[];

  constructor(
    mirrorCount: number,
    attemptsPerMirror: number,
    private readonly backoff: BackoffOptions,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.mirrors = Array.from({ length: mirrorCount }, () => ({
      attemptsLeft: attemptsPerMirror,
      attemptsMade: 0,
      consecutiveFailures: 0,
      readyAt: 0,
      done: undefined,
    }));
  }

  /** The next attempt, or undefined when no mirror has attempts left. */
  next(): NextAttempt | undefined {
    const now = this.now();
    let best: number | undefined;
    for (let i = 0; i < this.mirrors.length; i++) {
      const m = this.mirrors[i] as MirrorState;
      if (m.done || m.attemptsLeft <= 0) continue;
      if (m.readyAt <= now) {
        best = i;
        break;
      }
      if (best === undefined || m.readyAt < (this.mirrors[best] as MirrorState).readyAt) best = i;
    }
    if (best === undefined) return undefined;
    const m = this.mirrors[best] as MirrorState;
    return { mirror: best, wait: Math.max(0, m.readyAt - now), attempt: m.attemptsMade + 1 };
  }

  /** Mirrors that still have attempts for this target, with when their backoff ends. */
  candidates(): Array<{ mirror: number; readyAt: number; attempt: number }> {
    const out: Array<{ mirror: number; readyAt: number; attempt: number }> = [];
    this.mirrors.forEach((m, mirror) => {
      if (!m.done && m.attemptsLeft > 0) out.push({ mirror, readyAt: m.readyAt, attempt: m.attemptsMade + 1 });
    });
    return out;
  }

  /** Counts an attempt on `mirror` as started. */
  begin(mirror: number): void {
    const m = this.mirrors[mirror] as MirrorState;
    m.attemptsLeft--;
    m.attemptsMade++;
  }

  /** A transient failure: the mirror rests for its backoff, or for `retryAfter` ms if the server asked for longer. */
  failed(mirror: number, retryAfter?: number): number {
    const m = this.mirrors[mirror] as MirrorState;
    m.consecutiveFailures++;
    const delay = Math.max(backoffDelay(m.consecutiveFailures, this.backoff, this.random), retryAfter ?? 0);
    m.readyAt = this.now() + delay;
    return delay;
  }

  /** Progress was made (bytes arrived): the next failure backs off from the start again. */
  progressed(mirror: number): void {
    (this.mirrors[mirror] as MirrorState).consecutiveFailures = 0;
  }

  /** The mirror is finished for this target (404/410, wrong content, refused redirect, ...). */
  finish(mirror: number, reason: string): void {
    (this.mirrors[mirror] as MirrorState).done = reason;
  }

  /**
   * One more attempt on `mirror`, at once, even if its budget is spent: a resumed file failed
   * verification, and the mirror gets one chance from zero before it is given up.
   */
  grantFromZero(mirror: number): void {
    const m = this.mirrors[mirror] as MirrorState;
    m.attemptsLeft = Math.max(m.attemptsLeft, 1);
    m.readyAt = 0;
  }
}
