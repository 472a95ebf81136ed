/**
 * Several repositories at once, as a .repo file describes them: one Downloader per repository (its
 * mirrors, TLS, proxy, credentials, keys), names resolved in every repository and the best candidate
 * taken by dnf's rule (best priority, then highest EVR, then lowest cost; README, "Using your .repo
 * files"), and the chosen packages downloaded through their own repository's Downloader.
 */
import { RepoError, RpmfetchError } from '../errors.js';
import type { Target } from '../fetch/target.js';
import { chooseAcrossRepos, repoOffers, type ChoiceRule, type RepoCandidate } from '../repo/repo-choice.js';
import type { RepoConfig } from '../repo/repo-file.js';
import type { RepoPackage, Resolution, ResolveOptions } from '../repo/resolve.js';
import { batchResult, createDownloader, type BatchItem, type BatchResult, type CallOptions, type Downloader } from './downloader.js';
import { repoSettings, type RepoBaseOptions } from './repo-options.js';

/** Options of {@link openRepos}: those of every repository's Downloader, and how to hear of skipped repositories. */
export interface RepoSetOptions extends RepoBaseOptions {
  /**
   * Told of a repository left out because it could not be reached and says `skip_if_unavailable=1`
   * (dnf prints a warning). Without that setting an unreachable repository fails the resolve.
   */
  onSkip?: (repo: string, error: RpmfetchError) => void;
}

/** One repository of the set, with the Downloader that serves it. */
export interface OpenRepo {
  /** The repository as its .repo file describes it. */
  readonly config: RepoConfig;
  /** The Downloader serving it (its mirrors, TLS, proxy, credentials and keys). */
  readonly downloader: Downloader;
}

/** A package to download, with the repository it is to come from. */
export interface RepoTarget {
  /** The repository id. */
  readonly repo: string;
  /** Path (or URL) with the repository's size, checksum and NEVRA expectations. */
  readonly target: Target;
}

/** The outcome of one query across the repositories. */
export type RepoSetItem =
  | {
      /** The query as given. */
      readonly query: string;
      /** A repository offers a package for it. */
      readonly ok: true;
      /** The repository the package is taken from. */
      readonly repo: string;
      /** The package chosen, with its target. */
      readonly package: RepoPackage;
      /** Which rule set the choice apart (`only` when one repository offered the name). */
      readonly decidedBy: ChoiceRule;
      /** The choice in words. */
      readonly reason: string;
    }
  | {
      /** The query as given. */
      readonly query: string;
      /** No repository offers a package for it. */
      readonly ok: false;
      /** `ERR_NOT_IN_REPO` when no repository offers it (the message names them), or the repository's own error. */
      readonly error: RpmfetchError;
    };

/** A repository left out of a resolve. */
export interface SkippedRepo {
  /** The repository id. */
  readonly repo: string;
  /** Why it could not be used. */
  readonly error: RpmfetchError;
}

/** What the repositories said for a list of queries. */
export interface RepoSetResolution {
  /** One item per query, in the order given. */
  readonly items: readonly RepoSetItem[];
  /** The chosen packages, without duplicates. */
  readonly targets: readonly RepoTarget[];
  /** Repositories left out (`skip_if_unavailable=1`) and why. */
  readonly skipped: readonly SkippedRepo[];
  /** Each repository's own resolution, by id. */
  readonly resolutions: ReadonlyMap<string, Resolution>;
}

/** Error of a repository that could not be used, naming it. */
function inRepo(repo: string, err: unknown): unknown {
  if (err instanceof RpmfetchError && !err.message.startsWith(`[${repo}]`)) err.message = `[${repo}] ${err.message}`;
  return err;
}

/** The repositories of .repo files, each with its own Downloader; see {@link openRepos}. */
export class RepoSet {
  private constructor(
    /** The repositories, in the files' order. */
    readonly repos: readonly OpenRepo[],
    private readonly resolveOptions: ReadonlyMap<string, ResolveOptions>,
    private readonly onSkip: RepoSetOptions['onSkip'],
  ) {}

  /** See {@link openRepos}. */
  static async open(configs: readonly RepoConfig[], options: RepoSetOptions): Promise<RepoSet> {
    const { onSkip, ...base } = options;
    const repos: OpenRepo[] = [];
    const resolveOptions = new Map<string, ResolveOptions>();
    try {
      for (const config of configs) {
        const settings = await repoSettings(config, base);
        let keys = settings.options.keys;
        if (settings.gpgkey.length > 0) {
          // Keys are fixed when a Downloader is made: a first one (the same transport settings) reads them.
          const { keys: _none, ...unkeyed } = settings.options;
          const reader = createDownloader(unkeyed);
          try {
            keys = await reader.readKeys(settings.gpgkey);
          } catch (err) {
            throw inRepo(config.id, err);
          } finally {
            reader.close();
          }
        }
        repos.push({ config, downloader: createDownloader({ ...settings.options, ...(keys && { keys }) }) });
        resolveOptions.set(config.id, settings.resolve);
      }
    } catch (err) {
      for (const r of repos) r.downloader.close();
      throw err;
    }
    return new RepoSet(repos, resolveOptions, onSkip);
  }

  /**
   * Resolves every query in every repository at once and picks, per query, the candidate dnf would
   * take. Rejects (naming the repository) when a repository without `skip_if_unavailable` cannot be
   * used.
   */
  async resolve(queries: readonly string[], options: CallOptions & Pick<ResolveOptions, 'arch'> = {}): Promise<RepoSetResolution> {
    const skipped: SkippedRepo[] = [];
    const resolutions = new Map<string, Resolution>();
    const outcomes = await Promise.allSettled(this.repos.map((r) => r.downloader.resolve(queries, { ...options, ...this.resolveOptions.get(r.config.id) })));
    for (const [i, outcome] of outcomes.entries()) {
      const repo = this.repos[i] as OpenRepo;
      if (outcome.status === 'fulfilled') {
        resolutions.set(repo.config.id, outcome.value);
        continue;
      }
      const error = outcome.reason as unknown;
      if (repo.config.skipIfUnavailable && error instanceof RpmfetchError && error.code !== 'ERR_INVALID_OPTION' && error.code !== 'ERR_ABORTED') {
        skipped.push({ repo: repo.config.id, error });
        this.onSkip?.(repo.config.id, error);
        continue;
      }
      throw inRepo(repo.config.id, error);
    }
    const arches = [...new Set([...resolutions.values()].flatMap((r) => r.arches))];
    const items = queries.map((query, q): RepoSetItem => {
      const candidates: Array<RepoCandidate<RepoPackage>> = [];
      for (const repo of this.repos) {
        const item = resolutions.get(repo.config.id)?.items[q];
        if (item?.ok && repoOffers(repo.config, item.package)) candidates.push({ repo: repo.config, pkg: item.package });
      }
      const choice = chooseAcrossRepos(candidates, { arches });
      if (choice) return { query, ok: true, repo: choice.chosen.repo.id, package: choice.chosen.pkg, decidedBy: choice.decidedBy, reason: choice.reason };
      // A repository's own problem with the package (an unsafe location) says more than "not found".
      for (const r of resolutions.values()) {
        const item = r.items[q];
        if (item && !item.ok && item.error.code !== 'ERR_NOT_IN_REPO') return { query, ok: false, error: item.error };
      }
      const names = [...resolutions.keys()].join(', ') || 'none reachable';
      return { query, ok: false, error: new RepoError('ERR_NOT_IN_REPO', query, `${query}: no package of that name in the repositories (${names})`) };
    });
    const seen = new Set<string>();
    const targets: RepoTarget[] = [];
    for (const item of items) {
      if (!item.ok) continue;
      const key = `${item.repo}\0${item.package.target.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      targets.push({ repo: item.repo, target: item.package.target });
    }
    return { items, targets, skipped, resolutions };
  }

  /** Downloads each target through its repository's Downloader, all repositories at once; items in the order given. */
  async downloadAll(targets: readonly RepoTarget[], options: CallOptions = {}): Promise<BatchResult> {
    const started = performance.now();
    const items: BatchItem[] = new Array<BatchItem>(targets.length);
    await Promise.all(
      this.repos.map(async (repo) => {
        const mine = targets.flatMap((t, i) => (t.repo === repo.config.id ? [i] : []));
        if (mine.length === 0) return;
        const batch = await repo.downloader.downloadAll(
          mine.map((i) => (targets[i] as RepoTarget).target),
          options,
        );
        batch.items.forEach((item, k) => (items[mine[k] as number] = item));
      }),
    );
    for (const [i, t] of targets.entries()) {
      items[i] ??= { target: t.target.path, ok: false, error: new RepoError('ERR_NOT_IN_REPO', t.target.path, `${t.target.path}: no repository "${t.repo}" in this set`) };
    }
    return batchResult(items, started);
  }

  /** Closes every repository's Downloader. */
  close(): void {
    for (const r of this.repos) r.downloader.close();
  }
}

/**
 * Opens the repositories of .repo files (`loadRepoFiles`, `selectRepos`): a Downloader for each with
 * the file's settings over `options` (`mirrors` come from each repository's baseurl, mirrorlist or
 * metalink), its `gpgkey` read when it checks signatures. Close it when done. Rejects with
 * `InvalidOptionError` naming the file, line and key for a setting rpmfetch cannot honour
 * (`sslverify=0`, `gpgcheck=1` without `gpgkey`, an unreadable certificate or key).
 */
export function openRepos(configs: readonly RepoConfig[], options: RepoSetOptions): Promise<RepoSet> {
  return RepoSet.open(configs, options);
}
