/**
 * The `--json` lines of `rpmfetch get`: exactly one per target, each naming the destination that target
 * asked for (`dest` joined with its `file`, or its path's last segment).
 *
 * Lines go out as targets finish, from the events. Events name a target by its path only, and two
 * targets may share a path (a manifest may ask for one package under two names): a success names its
 * file, but a failure on a shared path cannot say which target it was, so it waits for the batch's
 * items, which are in target order. A target the events said nothing about (an error raised before its
 * first request) gets its line from the items too.
 */
import { join } from 'node:path';
import { DownloadError, RpmfetchError } from '../errors.js';
import type { BatchItem } from '../client/downloader.js';
import type { DownloadEvent } from '../client/events.js';
import type { DownloadResult } from '../client/result.js';
import { normalizeTarget, type Target } from '../fetch/target.js';

/** Repository mode: the queries a target answers and the repository it comes from (with --repofile). */
export interface TargetAbout {
  readonly query?: string | undefined;
  readonly repo?: string | undefined;
}

const aboutJson = (about: TargetAbout): object => ({ ...(about.query !== undefined && { query: about.query }), ...(about.repo !== undefined && { repo: about.repo }) });

/** The line of a verified target. */
export function resultJson(path: string, r: DownloadResult, about: TargetAbout = {}): object {
  return {
    file: r.file,
    ok: true,
    path,
    ...aboutJson(about),
    nevra: r.rpm.nevra,
    url: r.url,
    mirror: r.mirror,
    size: r.size,
    cached: r.cached,
    ...(r.placement !== undefined && { placement: r.placement }),
    attempts: r.attempts,
    digests: r.digests,
  };
}

/** The line of a failed target (`file` null for a query that named no package). */
export function errorJson(path: string, file: string | null, err: unknown, about: TargetAbout = {}): object {
  const error =
    err instanceof DownloadError
      ? err.toJSON()
      : err instanceof RpmfetchError
        ? { code: err.code, message: err.message, attempts: [] }
        : { code: 'ERR_INTERNAL', message: String(err), attempts: [] };
  return { file, ok: false, path, ...aboutJson(about), nevra: null, error };
}

export class ResultLines {
  /** Lines still owed, by path, then by destination. */
  private readonly owed = new Map<string, Map<string, number>>();
  private targets: readonly Target[] = [];

  constructor(
    private readonly dest: string,
    private readonly write: (line: string) => void,
    /** Repository mode: the queries a path answers, and its repository. */
    private readonly about: (path: string) => TargetAbout = () => ({}),
  ) {}

  private destinationOf(target: Target): string {
    return join(this.dest, normalizeTarget(target).fileName);
  }

  /** The targets of the batch about to run, in the order given to it. */
  expect(targets: readonly Target[]): void {
    this.targets = targets;
    for (const t of targets) {
      // Events name a target by its path as normalized (a URL's credentials masked).
      const path = normalizeTarget(t).path;
      const byFile = this.owed.get(path) ?? new Map<string, number>();
      const file = this.destinationOf(t);
      byFile.set(file, (byFile.get(file) ?? 0) + 1);
      this.owed.set(path, byFile);
    }
  }

  /** Takes one line owed for `path` at `file`; false when none is. */
  private take(path: string, file: string): boolean {
    const byFile = this.owed.get(path);
    const n = byFile?.get(file) ?? 0;
    if (!byFile || n === 0) return false;
    if (n === 1) byFile.delete(file);
    else byFile.set(file, n - 1);
    return true;
  }

  onEvent(event: DownloadEvent): void {
    if (event.type === 'done') {
      if (this.take(event.target, event.result.file)) this.write(JSON.stringify(resultJson(event.target, event.result, this.about(event.target))));
    } else if (event.type === 'failed') {
      // Other paths (repository metadata files) are not targets: resolveForCli reports them.
      const files = [...(this.owed.get(event.target)?.keys() ?? [])];
      const file = files[0];
      if (files.length === 1 && file !== undefined && this.take(event.target, file)) {
        this.write(JSON.stringify(errorJson(event.target, file, event.error, this.about(event.target))));
      }
    }
  }

  /** Writes the lines the events could not: `items` are the batch's, in the order of {@link expect}. */
  finish(items: readonly BatchItem[]): void {
    items.forEach((item, i) => {
      const target = this.targets[i];
      if (!target) return;
      const file = this.destinationOf(target);
      if (!this.take(item.target, file)) return;
      const about = this.about(item.target);
      this.write(JSON.stringify(item.ok ? resultJson(item.target, item.result, about) : errorJson(item.target, file, item.error, about)));
    });
  }
}
