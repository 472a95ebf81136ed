/**
 * Which repository a package comes from when several have it, as dnf picks (libsolv's
 * `policy_filter_unwanted`, with dnf5 setting a repository's libsolv priority to `-priority` and its
 * subpriority to `-cost`):
 *
 * 1. **priority**: only the repositories with the best (lowest) `priority` are considered at all —
 *    an older version in a `priority=10` repository beats a newer one in a `priority=99` one;
 * 2. **version**: among those, the highest epoch:version-release (rpm's order);
 * 3. **arch** (when an arch preference is given): the arch listed first, as a single-repository
 *    resolve breaks its ties;
 * 4. **cost**: among equal versions, the repository with the lowest `cost`;
 * 5. still tied: the first candidate given (dnf then goes by libsolv's internal order, which a user
 *    cannot see); the choice says it was a tie.
 *
 * And `includepkgs`/`excludepkgs`, which decide per repository which packages it offers at all.
 */
import { compareEvr, type Evr } from '../rpm/vercmp.js';
import { fnmatch, isGlob } from './fnmatch.js';

/** What the choice needs of a package. */
export interface ChoicePackage extends Evr {
  /** Package name. */
  readonly name: string;
  /** Package arch (`x86_64`, `noarch`, `src`, …). */
  readonly arch: string;
}

/** What the choice needs of a repository: its id, `priority` and `cost` (see `RepoConfig`). */
export interface RepoRank {
  /** The repository id. */
  readonly id: string;
  /** dnf's `priority`: lower is better. */
  readonly priority: number;
  /** dnf's `cost`: lower is better, between equal versions. */
  readonly cost: number;
}

/** A package one repository offers for a query. */
export interface RepoCandidate<P extends ChoicePackage = ChoicePackage> {
  /** The repository offering it. */
  readonly repo: RepoRank;
  /** The package. */
  readonly pkg: P;
}

/**
 * The rule that decided: `only` (one candidate), `priority`, `evr`, `arch`, `cost`, or `order` (a tie
 * on every rule, the first candidate taken).
 */
export type ChoiceRule = 'only' | 'priority' | 'evr' | 'arch' | 'cost' | 'order';

/** The candidate dnf would take, and why. */
export interface RepoChoice<P extends ChoicePackage = ChoicePackage> {
  /** The candidate taken. */
  readonly chosen: RepoCandidate<P>;
  /** The rule that set it apart from the last others standing. */
  readonly decidedBy: ChoiceRule;
  /** With `decidedBy: 'order'`, the other candidates equal to it on every rule; else empty. */
  readonly tied: ReadonlyArray<RepoCandidate<P>>;
  /** The choice in words, for logs and JSON output. */
  readonly reason: string;
}

/** Options for {@link chooseAcrossRepos}. */
export interface ChoiceOptions {
  /** Arches in order of preference; breaks ties between equal versions before `cost`. */
  readonly arches?: readonly string[];
}

const evrText = (p: ChoicePackage): string => `${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`;

/** The arch's place in the preference list (unlisted last). */
function archRank(arch: string, arches: readonly string[]): number {
  const i = arches.indexOf(arch);
  return i < 0 ? arches.length : i;
}

/**
 * Orders two candidates by dnf's rule: negative when `a` is preferred. Priority (lower first), then
 * EVR (higher first), then the arch preference when given, then cost (lower first); 0 when tied.
 */
export function compareCandidates(a: RepoCandidate, b: RepoCandidate, options: ChoiceOptions = {}): number {
  if (a.repo.priority !== b.repo.priority) return a.repo.priority - b.repo.priority;
  const evr = compareEvr(b.pkg, a.pkg);
  if (evr !== 0) return evr;
  if (options.arches) {
    const d = archRank(a.pkg.arch, options.arches) - archRank(b.pkg.arch, options.arches);
    if (d !== 0) return d;
  }
  return a.repo.cost - b.repo.cost;
}

/**
 * Picks among the candidates the repositories offer for one query (each repository's own best, or all
 * its matches) the one dnf would install: best priority, then highest EVR, then (with `arches`) the
 * preferred arch, then lowest cost, then the first given. Undefined for no candidates.
 */
export function chooseAcrossRepos<P extends ChoicePackage>(candidates: ReadonlyArray<RepoCandidate<P>>, options: ChoiceOptions = {}): RepoChoice<P> | undefined {
  const first = candidates[0];
  if (!first) return undefined;
  if (candidates.length === 1) return { chosen: first, decidedBy: 'only', tied: [], reason: `only ${first.repo.id} has ${first.pkg.name}` };
  const ids = (list: ReadonlyArray<RepoCandidate<P>>): string => [...new Set(list.map((c) => c.repo.id))].join(', ');

  // 1. priority
  const bestPriority = Math.min(...candidates.map((c) => c.repo.priority));
  const byPriority = candidates.filter((c) => c.repo.priority === bestPriority);
  const losers = candidates.filter((c) => c.repo.priority !== bestPriority);
  if (byPriority.length === 1) {
    const chosen = byPriority[0] as RepoCandidate<P>;
    const next = Math.min(...losers.map((c) => c.repo.priority));
    return { chosen, decidedBy: 'priority', tied: [], reason: `${chosen.repo.id} has priority ${bestPriority}, better than ${next} (${ids(losers.filter((c) => c.repo.priority === next))})` };
  }

  // 2. EVR
  const newest = byPriority.reduce((best, c) => (compareEvr(c.pkg, best.pkg) > 0 ? c : best));
  const byEvr = byPriority.filter((c) => compareEvr(c.pkg, newest.pkg) === 0);
  if (byEvr.length === 1) {
    const older = byPriority.filter((c) => c !== newest);
    const runnerUp = older.reduce((best, c) => (compareEvr(c.pkg, best.pkg) > 0 ? c : best));
    return {
      chosen: newest,
      decidedBy: 'evr',
      tied: [],
      reason: `${newest.repo.id} has ${evrText(newest.pkg)}, newer than ${evrText(runnerUp.pkg)} (${ids(older.filter((c) => compareEvr(c.pkg, runnerUp.pkg) === 0))}), at priority ${bestPriority}`,
    };
  }

  // 3. arch
  let byArch = byEvr;
  if (options.arches) {
    const arches = options.arches;
    const bestArch = Math.min(...byEvr.map((c) => archRank(c.pkg.arch, arches)));
    byArch = byEvr.filter((c) => archRank(c.pkg.arch, arches) === bestArch);
    if (byArch.length === 1) {
      const chosen = byArch[0] as RepoCandidate<P>;
      return { chosen, decidedBy: 'arch', tied: [], reason: `${chosen.repo.id} has ${evrText(chosen.pkg)} for ${chosen.pkg.arch}, the preferred arch (${ids(byEvr.filter((c) => c !== chosen))} too, for another)` };
    }
  }

  // 4. cost
  const bestCost = Math.min(...byArch.map((c) => c.repo.cost));
  const byCost = byArch.filter((c) => c.repo.cost === bestCost);
  const chosen = byCost[0] as RepoCandidate<P>;
  const same = `${evrText(chosen.pkg)} at priority ${bestPriority}`;
  if (byCost.length === 1) {
    const dearer = byArch.filter((c) => c.repo.cost !== bestCost);
    const next = Math.min(...dearer.map((c) => c.repo.cost));
    return { chosen, decidedBy: 'cost', tied: [], reason: `${same} in ${ids(byArch)}: ${chosen.repo.id} costs ${bestCost}, less than ${next} (${ids(dearer.filter((c) => c.repo.cost === next))})` };
  }

  // 5. a tie: the first given
  const tied = byCost.slice(1);
  return { chosen, decidedBy: 'order', tied, reason: `${same} and cost ${bestCost} in ${ids(byCost)}: a tie, the first given (${chosen.repo.id}) taken` };
}

/** A spec read one of dnf's ways: fields that are set must match (globs allowed). */
interface SpecForm {
  readonly name: string;
  readonly epoch?: string;
  readonly version?: string;
  readonly release?: string;
  readonly arch?: string;
}

/**
 * dnf5's `Nevra::parse` of a package spec with its default forms, in its order: NEVRA, NA, NAME, NEVR,
 * NEV. `-`, `.` and `:` inside a `[…]` glob range are not separators. A spec with `:` twice or one of
 * `( / = < >` or a space has no form (dnf finds nothing with it).
 */
export function specForms(spec: string): SpecForm[] {
  let beforeLast = -1;
  let last = -1;
  let dot = -1;
  let colon = -1;
  let range = false;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (range) {
      if (c === ']') range = false;
      else continue;
    }
    if (c === '[') range = true;
    else if (c === '-') {
      beforeLast = last;
      last = i;
    } else if (c === '.') dot = i;
    else if (c === ':') {
      if (colon >= 0) return [];
      colon = i;
    } else if (c === '(' || c === '/' || c === '=' || c === '<' || c === '>' || c === ' ') return [];
  }
  const end = spec.length;
  const forms: SpecForm[] = [];
  // [E:]V between `from` and `to`, or undefined when the epoch is misplaced or the version empty.
  const ev = (from: number, to: number): { epoch?: string; version: string } | undefined => {
    if (colon >= 0) {
      if (colon - from < 1 || to - colon < 2) return undefined;
      return { epoch: spec.slice(from, colon), version: spec.slice(colon + 1, to) };
    }
    if (to - from < 1) return undefined;
    return { version: spec.slice(from, to) };
  };
  // NEVRA
  if (beforeLast > 0 && last >= 0 && dot >= 0) {
    const e = ev(beforeLast + 1, last);
    if (e && dot - (last + 1) >= 1 && end - (dot + 1) >= 1) forms.push({ name: spec.slice(0, beforeLast), ...e, release: spec.slice(last + 1, dot), arch: spec.slice(dot + 1) });
  }
  // NA
  if (dot > 0 && colon < 0 && !(last >= 0 && last > dot) && end - dot > 1) forms.push({ name: spec.slice(0, dot), arch: spec.slice(dot + 1) });
  // NAME
  if (colon < 0 && end > 0) forms.push({ name: spec });
  // NEVR
  if (beforeLast > 0 && last >= 0) {
    const e = ev(beforeLast + 1, last);
    if (e && end - (last + 1) >= 1) forms.push({ name: spec.slice(0, beforeLast), ...e, release: spec.slice(last + 1) });
  }
  // NEV
  if (last >= 0 && beforeLast !== 0) {
    const e = ev(last + 1, end);
    if (e) forms.push({ name: spec.slice(0, last), ...e });
  }
  return forms;
}

/** One field against its pattern: a glob through fnmatch, anything else exactly. */
const fieldMatches = (pattern: string, value: string): boolean => (isGlob(pattern) ? fnmatch(pattern, value) : pattern === value);

/** An unset field (or `*`) matches anything. */
const optionalMatches = (pattern: string | undefined, value: string): boolean => pattern === undefined || pattern === '' || pattern === '*' || fieldMatches(pattern, value);

/**
 * Whether a package matches an `includepkgs`/`excludepkgs` spec as dnf reads one: the spec read as
 * NEVRA, NAME.ARCH, NAME, N-V-R or N-V (each field a glob: `kernel*`, `foo.i686`, `bar-1.*`,
 * `baz-2:1.0-1.fc41.x86_64`), case-sensitive; a glob matching none of these also tried against the
 * whole `name-[epoch:]version-release.arch`. Source packages count like any other.
 *
 * One difference from dnf: dnf takes the first of these readings that matches any package of the
 * repository and uses only it, so with a package named `foo-1` and another `foo` at version 1, the
 * spec `foo-1` means only the first; here a package matches when any reading matches it (both would).
 */
export function matchesPackageSpec(spec: string, pkg: ChoicePackage): boolean {
  const epoch = String(pkg.epoch ?? 0);
  for (const form of specForms(spec)) {
    if (
      fieldMatches(form.name, pkg.name) &&
      optionalMatches(form.epoch, epoch) &&
      optionalMatches(form.version, pkg.version) &&
      optionalMatches(form.release, pkg.release) &&
      optionalMatches(form.arch, pkg.arch)
    ) {
      return true;
    }
  }
  if (!isGlob(spec)) return false;
  const nevra = `${pkg.name}-${pkg.epoch ? `${pkg.epoch}:` : ''}${pkg.version}-${pkg.release}.${pkg.arch}`;
  return fnmatch(spec, nevra);
}

/** A repository's package filters (see `RepoConfig`). */
export interface PackageFilters {
  /** When not empty, only packages matching one of these specs are offered. */
  readonly includepkgs: readonly string[];
  /** Packages matching one of these specs are never offered. */
  readonly excludepkgs: readonly string[];
}

/**
 * Whether a repository offers a package, by its `includepkgs` and `excludepkgs` as dnf applies them:
 * with includes, only packages matching one of them; and never one matching an exclude (excludes win).
 */
export function repoOffers(filters: PackageFilters, pkg: ChoicePackage): boolean {
  if (filters.includepkgs.length > 0 && !filters.includepkgs.some((spec) => matchesPackageSpec(spec, pkg))) return false;
  return !filters.excludepkgs.some((spec) => matchesPackageSpec(spec, pkg));
}
