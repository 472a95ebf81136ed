/**
 * The mirrors of a Downloader, in the caller's order of preference, changing while it runs: mirrors
 * can be added (a metalink or mirrorlist learned at run time) and dropped. Targets read the list again
 * before every attempt, so a new mirror serves the next attempt of a download already running, and a
 * dropped one gets none.
 */
import { InvalidOptionError } from '../errors.js';
import { Mirror, parseMirrorBase, type HealthPolicy, type MirrorSnapshot } from './mirror.js';

/** Why a mirror was retired, and whether it was one of the set's (rather than a target's own). */
export interface Retirement {
  readonly why: string;
  readonly fromSet: boolean;
}

export class MirrorSet {
  private list: Mirror[] = [];
  /** Mirrors dropped for their failures (`maxMirrorFailures`), with why, for the final errors' wording. */
  private readonly retiredMirrors = new Map<Mirror, Retirement>();
  private slotWaiters: Array<() => void> = [];
  /** Wakes targets waiting for a slot whenever any mirror of this set returns one. */
  private readonly slotFreed = (): void => {
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const w of waiters) w();
  };

  constructor(
    readonly policy: HealthPolicy,
    bases: ReadonlyArray<string | URL> = [],
    private readonly now: () => number = Date.now,
  ) {
    for (const b of bases) this.add(b);
  }

  /** The mirrors in order of preference, dropped ones left out. */
  get mirrors(): readonly Mirror[] {
    return this.list;
  }

  /**
   * Adds a mirror at the end of the order (or at `position`) and returns it; a base already in the set
   * returns the mirror already there. Throws {@link InvalidOptionError} for a base that is not an
   * http(s) or file URL.
   */
  add(base: string | URL, position?: number): Mirror {
    const url = parseMirrorBase(base);
    const known = this.list.find((m) => m.base.href === url.href);
    if (known) return known;
    const mirror = this.create(url);
    const at = position === undefined ? this.list.length : Math.max(0, Math.min(position, this.list.length));
    this.list = [...this.list.slice(0, at), mirror, ...this.list.slice(at)];
    // Targets waiting for a slot may use the new mirror at once.
    this.slotFreed();
    return mirror;
  }

  /** A mirror that shares this set's health policy and slot waiters but is not in its order (a target's own). */
  create(url: URL): Mirror {
    return new Mirror(url, this.policy, this.slotFreed, this.now);
  }

  /** Drops a mirror (by value or base URL): no new attempt goes to it; requests running finish. */
  drop(mirror: Mirror | string | URL): boolean {
    const target = mirror instanceof Mirror ? mirror : this.list.find((m) => m.base.href === parseMirrorBase(mirror).href);
    if (!target || !this.list.includes(target)) return false;
    target.dropped = true;
    this.list = this.list.filter((m) => m !== target);
    // Targets waiting for one of its slots should look again.
    this.slotFreed();
    return true;
  }

  /**
   * Drops a mirror for its failures (this set's or a target's own): no new attempt of any file goes to
   * it; `why` is kept for the errors of files left without a mirror.
   */
  retire(mirror: Mirror, why: string): void {
    const fromSet = this.drop(mirror);
    if (!fromSet) {
      mirror.dropped = true;
      this.slotFreed();
    }
    this.retiredMirrors.set(mirror, { why, fromSet });
  }

  /** Mirrors retired so far, with why. */
  get retired(): ReadonlyMap<Mirror, Retirement> {
    return this.retiredMirrors;
  }

  /** Resolves when some slot is returned or a mirror changes (or the signal aborts). */
  changed(signal: AbortSignal): Promise<void> {
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

  /** Health of every mirror in the order. */
  snapshot(): MirrorSnapshot[] {
    return this.list.map((m) => m.snapshot());
  }
}

/** Throws unless there is at least one mirror to ask. */
export function requireMirrors(mirrors: readonly Mirror[], what: string): void {
  if (mirrors.length === 0) throw new InvalidOptionError(`no mirrors to download ${what} from`);
}
