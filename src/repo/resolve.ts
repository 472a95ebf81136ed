/**
 * Repository mode: package queries in, download targets out. repomd.xml and the primary file come from
 * the mirrors with the usual attempts and failover; the primary file is checked against repomd.xml,
 * decompressed and parsed as it streams, keeping only the packages the queries could mean. Each target
 * carries the size, checksum and NEVRA the metadata gives, so the download is checked against them.
 */
import createDebug from 'debug';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { DownloadError, InvalidOptionError, MetalinkError, MirrorlistError, NotCachedError, RepoError, RpmfetchError, type Attempt } from '../errors.js';
import type { Mirror } from '../fetch/mirror.js';
import { normalizeTarget, type NormalizedTarget, type Target } from '../fetch/target.js';
import { formatNevra } from '../rpm/nevra.js';
import { resolveArches } from './arch.js';
import { Readable } from 'node:stream';
import { checkAndParse, fetchMetadata, wholeFile, type FetchedMetadata, type MetadataContext, type MetadataRequest } from './metadata-fetch.js';
import type { MetadataCache } from './metadata-cache.js';
import type { Keyring } from '../rpm/keyring.js';
import { locate, packageLocation } from './location.js';
import { PrimaryParser, type PrimaryEntry } from './primary-parser.js';
import { DEFAULT_PRIMARY_MAX_SIZE, statedSizeProblem } from './primary-limits.js';
import { QueryChoices } from './query-choices.js';
import { parseRepomd, primaryRecord, REPOMD_MAX_BYTES, type Repomd, type RepomdRecord } from './repomd.js';
import { discoverMirrors } from './mirror-discovery.js';
import { repomdMismatch, type RepomdExpectation } from './repomd-expectation.js';
import { isFresh, type DiskMetadataUse, type RepoIdentity, type StoredRepo, type StoredRepomd } from './metadata-store.js';

/** Options of repository resolution. */
export interface ResolveOptions {
  /**
   * Architectures a plain name may resolve to, in order of preference (`noarch` is added unless only
   * `src` is asked for). Default: this machine's, as rpm names it (`x86_64`, `aarch64`, …), and noarch.
   * A query with its own arch (`name.i686`, `N-V-R.A`) is not limited by this.
   */
  arch?: string | readonly string[];
  /** Path of the repository under each mirror base (default: the mirror base is the repository). */
  repoPath?: string;
  /**
   * dnf's repo_gpgcheck: repomd.xml must carry a detached signature (`repodata/repomd.xml.asc`, from
   * the same mirror) by one of the Downloader's `keys`; a mirror without one, or with a bad one, is not
   * used for metadata. Needs `keys`. Default false.
   */
  repoGpgcheck?: boolean;
  /**
   * The most bytes the primary file may take, as received and as decompressed (default 2 GiB; Fedora's
   * is a few hundred MB decompressed). A repomd.xml stating a larger primary file is not used (another
   * mirror's is tried), and a body or a decompression going past the limit fails on that mirror, as
   * does one expanding like a decompression bomb (more than 1000 times the compressed bytes, 250 for
   * gzip). Raise it for a repository whose primary file is larger.
   */
  maxPrimarySize?: number;
  /**
   * A metalink URL (MirrorManager's, as in a .repo file's `metalink=`): the repository's mirrors are
   * read from it and added to the Downloader's (highest preference first; http, https and file only),
   * and a mirror's repomd.xml is used only if it matches the metalink's hash of the current repomd.xml
   * or of an alternate (`ERR_REPOMD_MISMATCH` in the attempts otherwise). Fetched again on every call,
   * so the hashes are current. Takes precedence over `mirrorlist`. Rejects with `MetalinkError`
   * (`ERR_METALINK`) for a metalink that is unusable.
   */
  metalink?: string;
  /**
   * A mirrorlist URL: one repository base per line, added to the Downloader's mirrors in the list's
   * order. An answer that is a metalink is read as one (and then checks repomd.xml as `metalink`
   * does). Rejects with `MirrorlistError` (`ERR_MIRRORLIST`) when no usable base is in it.
   */
  mirrorlist?: string;
}

/** A package found in the repository, with a target ready for `download()`. */
export interface RepoPackage extends PrimaryEntry {
  /** `name-epoch:version-release.arch`. */
  readonly nevra: string;
  /** Path (or URL) with `size`, `checksum` and `nevra` expectations. */
  readonly target: Target;
}

/** The outcome of one query. */
export type ResolveItem =
  | {
      /** The query as given. */
      readonly query: string;
      /** A package matched the query. */
      readonly ok: true;
      /** The package chosen: the highest epoch:version-release among the matches; on a tie, the arch asked for first. */
      readonly package: RepoPackage;
    }
  | {
      /** The query as given. */
      readonly query: string;
      /** The query could not be resolved. */
      readonly ok: false;
      /** Why: `ERR_NOT_IN_REPO` when nothing matches, `ERR_UNSAFE_LOCATION` or `ERR_REPO_METADATA` when the package's location is unusable. */
      readonly error: RepoError;
    };

/** What a repository said for a list of queries, in the order given. */
export interface Resolution {
  /** One item per query, in the order given. */
  readonly items: readonly ResolveItem[];
  /** repomd.xml's `<revision>`, when it has one. */
  readonly revision?: string;
  /** The architectures plain names were matched against. */
  readonly arches: readonly string[];
  /** Where repomd.xml came from. */
  readonly repomd: {
    /** The mirror that served repomd.xml, as configured. */
    readonly mirror: string;
    /** The URL it came from, after redirects (a `file:` URL in the cache when it came from there). */
    readonly url: string;
    /** Taken from the cache's metadata area (`cache`) without a request: still fresh, or `cacheOnly`. */
    readonly cached: boolean;
  };
  /** Where the primary file came from, its size and how many packages it lists. */
  readonly primary: {
    /** The mirror that served the primary file, as configured. */
    readonly mirror: string;
    /** The URL it came from, after redirects. */
    readonly url: string;
    /** Bytes received (compressed). */
    readonly size: number;
    /** Packages the primary file lists (all of them, not only those the queries matched). */
    readonly packages: number;
    /**
     * Parsed from the Downloader's memory or from the cache's metadata area (the file the current
     * repomd.xml describes, checked against it again), without a request.
     */
    readonly cached: boolean;
  };
  /** Targets of the resolved queries, without duplicates (two queries may mean one package). */
  readonly targets: readonly Target[];
  /** Every attempt at the metadata files, in order. */
  readonly attempts: readonly Attempt[];
}


const debug = createDebug('rpmfetch:mirror');

/** What a resolve keeps of the primary file: how many packages it lists, and the queries' answers. */
interface ParsedPrimary {
  readonly count: number;
  readonly choices: QueryChoices;
}

/** The primary file as parsed, and where it came from (a mirror, or the Downloader's memory). */
interface PrimaryFetched {
  readonly value: ParsedPrimary;
  readonly url: string;
  /** The mirror's label. */
  readonly mirror: string;
  readonly size: number;
  readonly attempts: readonly Attempt[];
  readonly cached: boolean;
  /** The file's bytes as received, when asked to keep them (for the cache's metadata area). */
  readonly kept?: readonly Buffer[];
}

/** What a resolve wants of the primary file. */
interface PrimaryWant {
  readonly queries: readonly string[];
  readonly arches: readonly string[];
  readonly maxSize: number;
}

/** A repomd.xml in hand, wherever it came from. */
interface RepomdInHand {
  readonly repomd: Repomd;
  readonly record: RepomdRecord;
  readonly target: NormalizedTarget;
  readonly bytes: Buffer;
}

function repoTarget(repoPath: string, path: string): NormalizedTarget {
  return normalizeTarget(/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || !repoPath ? path : `${repoPath}/${path}`);
}

function checkQueries(queries: readonly string[]): void {
  for (const q of queries) {
    if (typeof q !== 'string' || q.trim() === '' || /[\s/\\\0]/.test(q)) throw new InvalidOptionError(`"${q}" is not a package query (NAME, NAME.ARCH or N-[E:]V-R[.A])`);
  }
}

function maxPrimarySize(value: number | undefined): number {
  if (value === undefined) return DEFAULT_PRIMARY_MAX_SIZE;
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(`maxPrimarySize must be a positive integer, got ${value}`);
  return value;
}

/** `err` listing `attempts`: every attempt of the resolve, not only those at the file that failed last. */
function withAttempts(err: DownloadError, attempts: readonly Attempt[]): DownloadError {
  if (attempts.length === err.attempts.length) return err;
  const summary = (err.message.split('\n')[0] ?? '').slice(err.target.length + 2);
  return new DownloadError(err.code, err.target, summary, attempts, { cause: err });
}

/** Where a repository's mirrors come from, naming it in the cache's metadata area. */
function identityOf(options: ResolveOptions, context: MetadataContext, repoPath: string): RepoIdentity {
  if (options.metalink !== undefined) return { kind: 'metalink', source: options.metalink, repoPath, label: options.metalink };
  if (options.mirrorlist !== undefined) return { kind: 'mirrorlist', source: options.mirrorlist, repoPath, label: options.mirrorlist };
  const mirrors = context.mirrors();
  return { kind: 'mirrors', source: mirrors.map((m) => m.base.href), repoPath, label: mirrors.map((m) => m.label).join(' ') };
}

/** How the stored metadata of one repository is used by a resolve. */
interface StoredUse {
  readonly repo: StoredRepo;
  readonly identity: RepoIdentity;
  readonly expire: number;
  readonly cacheOnly: boolean;
}

/**
 * Resolves queries through repository metadata. Rejects with the metadata's `DownloadError` when
 * repomd.xml or the primary file cannot be had from any mirror; a query that matches nothing, or whose
 * location is unsafe, is an item with `ok: false`. With `disk`, repomd.xml and the primary file are
 * kept in the cache's metadata area and reused while fresh (README, "Repositories").
 */
export async function resolveQueries(queries: readonly string[], options: ResolveOptions, context: MetadataContext, keyring: Keyring | undefined, signal?: AbortSignal, cache?: MetadataCache, disk?: DiskMetadataUse): Promise<Resolution> {
  checkQueries(queries);
  const arches = resolveArches(typeof options.arch === 'string' ? [options.arch] : options.arch);
  const repoPath = (options.repoPath ?? '').replace(/^\/+|\/+$/g, '');
  const keys = options.repoGpgcheck ? keyring : undefined;
  if (options.repoGpgcheck && !keys) throw new InvalidOptionError('repoGpgcheck needs keys to check repomd.xml.asc with');
  const maxSize = maxPrimarySize(options.maxPrimarySize);
  const want: PrimaryWant = { queries, arches, maxSize };
  const identity = disk && identityOf(options, context, repoPath);
  const stored: StoredUse | undefined = disk && identity && { repo: disk.store.repo(identity), identity, expire: disk.expire, cacheOnly: disk.cacheOnly };
  if (stored?.cacheOnly) {
    // No request at all: neither the metalink nor the mirrors. What was stored was checked when it
    // was stored (against the metalink of the time, its signature); the primary file is checked again.
    const saved = await stored.repo.repomd();
    if (!saved) throw new NotCachedError('repository metadata', `no repomd.xml of ${stored.identity.label} in the cache (${stored.repo.dir})`);
    const found = await fromStore(saved, stored, repoPath, false, want, keys, context, signal);
    if ('missing' in found) throw new NotCachedError('repository metadata', found.missing);
    return found.resolution;
  }
  const attempts: Attempt[] = [];
  // Mirrors from a metalink or mirrorlist join the Downloader's before anything else is fetched.
  let expectation: RepomdExpectation | undefined;
  if (options.metalink !== undefined || options.mirrorlist !== undefined) {
    if (!context.addMirror) throw new InvalidOptionError('metalink and mirrorlist need a Downloader that can learn mirrors');
    let found: Awaited<ReturnType<typeof discoverMirrors>>;
    try {
      found = await discoverMirrors({ ...(options.metalink !== undefined ? { metalink: options.metalink } : { mirrorlist: options.mirrorlist as string }) }, context, signal);
    } catch (err) {
      // The list is out of reach (not unusable): fresh stored metadata still serves, as when dnf does
      // not look at the metalink before metadata_expire.
      const reachable = err instanceof MetalinkError || err instanceof MirrorlistError || !(err instanceof DownloadError) || err.code === 'ERR_ABORTED';
      const saved = !reachable && stored ? await stored.repo.repomd() : undefined;
      if (saved && stored && isFresh(saved.fetched, stored.expire)) {
        const found = await fromStore(saved, stored, repoPath, false, want, keys, context, signal);
        if ('resolution' in found) {
          debug('%s is out of reach; using the stored metadata (%s)', stored.identity.label, (err as Error).message.split('\n')[0]);
          return { ...found.resolution, attempts: [...(err as DownloadError).attempts, ...found.resolution.attempts] };
        }
      }
      throw err;
    }
    attempts.push(...found.attempts);
    for (const base of found.bases) context.addMirror(base);
    expectation = found.expectation;
  }
  const repomdTarget = repoTarget(repoPath, 'repodata/repomd.xml');
  const mirrorsAreFiles = context.mirrors().every((m) => m.kind === 'file');
  // The stored repomd.xml, if any: used as it is while fresh (and, with a metalink, still current),
  // and after that compared with the one fetched, to keep the stored primary file when it is the same.
  const saved = stored && (await stored.repo.repomd());
  if (saved && stored && isFresh(saved.fetched, stored.expire) && !(expectation && repomdMismatch(saved.bytes, expectation) !== undefined)) {
    const found = await fromStore(saved, stored, repoPath, mirrorsAreFiles, want, keys, context, signal);
    if ('resolution' in found) return { ...found.resolution, attempts: [...attempts, ...found.resolution.attempts] };
    debug('%s: %s; fetching the metadata again', stored.identity.label, found.missing);
  }
  // A primary file that no mirror serves as the repomd.xml describes it may mean that repomd.xml was
  // the bad one (stale, tampered): start over from another mirror's, until none is left.
  const rejected = new Map<Mirror, string>();
  const failedPrimaries = new Set<string>();
  let repomd: FetchedMetadata<RepomdInHand>;
  let primary: PrimaryFetched;
  for (;;) {
    try {
      repomd = await fetchRepomd(repomdTarget, repoPath, mirrorsAreFiles, maxSize, context, rejected, expectation, signal);
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      attempts.push(...err.attempts);
      if (expectation && err.code === 'ERR_ALL_MIRRORS_FAILED' && err.attempts.some((a) => a.code === 'ERR_REPOMD_MISMATCH')) {
        const why = [...rejected].map(([mirror, reason]) => `; ${mirror.label}: ${reason}`).join('');
        throw new DownloadError(err.code, 'repository metadata', `no mirror serves a repomd.xml that matches the metalink ${expectation.source}${why}`, attempts, { cause: err });
      }
      if (rejected.size === 0 || err.code !== 'ERR_ALL_MIRRORS_FAILED') throw withAttempts(err, attempts);
      const why = [...rejected].map(([mirror, reason]) => `${mirror.label}: ${reason}`).join('; ');
      throw new DownloadError(err.code, 'repository metadata', `no mirror serves usable metadata (${why})`, attempts, { cause: err });
    }
    attempts.push(...repomd.attempts);
    let asc: Buffer | undefined;
    if (keys) {
      const checked = await fetchAndCheckSignature(repomdTarget, repomd, keys, context, signal);
      attempts.push(...checked.attempts);
      if (checked.problem !== undefined) {
        debug('%s: %s', repomd.mirror.label, checked.problem);
        rejected.set(repomd.mirror, checked.problem);
        continue;
      }
      asc = checked.asc;
    }
    const described = `${repomd.value.record.checksum.type}:${repomd.value.record.checksum.hex}`;
    if (failedPrimaries.has(described)) {
      // The same primary file as one no mirror served correctly: not worth another round.
      rejected.set(repomd.mirror, 'its repomd.xml describes the same primary file');
      continue;
    }
    if (stored && saved?.bytes.equals(repomd.value.bytes)) {
      // repomd.xml has not changed: the stored primary file is the one it describes, if it checks out.
      const kept = await storedPrimary(stored.repo, repomd.value.record, repomd.value.target, want, context, signal);
      if (kept) {
        await stored.repo.save(repomd.value.bytes, undefined, stored.identity, asc).catch((err: Error) => debug('%s: not stored: %s', stored.repo.dir, err.message));
        primary = kept;
        break;
      }
    }
    try {
      primary = await fetchPrimary(repomd.value.record, repomd.value.target, want, context, cache, signal, stored !== undefined);
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      attempts.push(...err.attempts);
      // Content failures (a checksum, a size or a limit passed, malformed XML) may be the repomd.xml's
      // fault; anything else (the network, an abort) ends the resolve.
      const contentMismatch = err.attempts.some((a) => a.code === 'ERR_REPO_METADATA');
      if (!contentMismatch || err.code !== 'ERR_ALL_MIRRORS_FAILED') throw withAttempts(err, attempts);
      debug('%s: no mirror serves the primary file its repomd.xml describes; trying another mirror\'s repomd.xml', repomd.mirror.label);
      rejected.set(repomd.mirror, 'its repomd.xml describes a primary file no mirror serves');
      failedPrimaries.add(described);
      continue;
    }
    if (stored && primary.kept) {
      await stored.repo.save(repomd.value.bytes, { checksum: repomd.value.record.checksum, chunks: primary.kept }, stored.identity, asc).catch((err: Error) => debug('%s: not stored: %s', stored.repo.dir, err.message));
    }
    break;
  }
  return resolution(want, repoPath, mirrorsAreFiles, repomd.value.repomd, { mirror: repomd.mirror.label, url: repomd.url, cached: false }, primary, attempts);
}

/**
 * A resolution from the stored metadata alone: the stored repomd.xml (with `repoGpgcheck`, its stored
 * signature judged again against the keys, as of now) and the stored primary file checked against it.
 * Says what is missing when that cannot be had.
 */
async function fromStore(saved: StoredRepomd, stored: StoredUse, repoPath: string, mirrorsAreFiles: boolean, want: PrimaryWant, keys: Keyring | undefined, context: MetadataContext, signal?: AbortSignal): Promise<{ resolution: Resolution } | { missing: string }> {
  let inHand: RepomdInHand;
  try {
    inHand = { ...primaryOf(parseRepomd(saved.bytes, saved.file), saved.file, repoPath, mirrorsAreFiles, want.maxSize), bytes: saved.bytes };
  } catch (err) {
    return { missing: `the cached ${saved.file} is unusable: ${(err as Error).message}` };
  }
  if (keys) {
    const asc = await stored.repo.asc(saved.bytes);
    if (!asc) return { missing: `no checked signature of the cached ${saved.file} (repoGpgcheck)` };
    const { checkRepomdSignature } = await import('./repomd-signature.js');
    const problem = await checkRepomdSignature(saved.bytes, asc, keys);
    if (problem !== undefined) return { missing: `the cached ${saved.file}'s signature does not hold: ${problem.message}` };
  }
  const primary = await storedPrimary(stored.repo, inHand.record, inHand.target, want, context, signal);
  if (!primary) return { missing: `the primary file ${inHand.target.path} that the cached ${saved.file} describes is not in the cache (or did not match it)` };
  return { resolution: resolution(want, repoPath, mirrorsAreFiles, inHand.repomd, { mirror: 'store', url: pathToFileURL(saved.file).href, cached: true }, primary, []) };
}

/** The stored primary file that `record` describes, checked against it and parsed; undefined when absent or damaged (then dropped). */
async function storedPrimary(repo: StoredRepo, record: RepomdRecord, target: NormalizedTarget, want: PrimaryWant, context: MetadataContext, signal?: AbortSignal): Promise<PrimaryFetched | undefined> {
  const file = repo.primaryFile(record.checksum);
  const size = await stat(file).then((s) => s.size, () => undefined);
  if (size === undefined) return undefined;
  const started = performance.now();
  try {
    const parsed = await checkAndParse(target.path, createReadStream(file), primaryRequest(record, target, want, false), { worker: context.offload && size >= 1024 * 1024, ...(signal && { signal }) });
    const url = pathToFileURL(file).href;
    context.emit({ type: 'metadata', target: target.path, mirror: 'store', url, size: parsed.bytes, packages: parsed.value.count, duration: performance.now() - started, cached: true });
    return { value: parsed.value, url, mirror: 'store', size: parsed.bytes, attempts: [], cached: true };
  } catch (err) {
    if (signal?.aborted) throw new DownloadError('ERR_ABORTED', target.path, 'aborted', [], { cause: err });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    debug('%s: the stored copy does not match repomd.xml (%s); dropping it', file, (err as Error).message);
    await repo.drop(file);
    return undefined;
  }
}

/** The resolution of the queries from a checked primary file. */
function resolution(want: PrimaryWant, repoPath: string, mirrorsAreFiles: boolean, repomd: Repomd, from: Resolution['repomd'], primary: PrimaryFetched, attempts: readonly Attempt[]): Resolution {
  const { queries, arches } = want;
  const { choices } = primary.value;
  const items = queries.map((query): ResolveItem => {
    const entry = choices.choose(query);
    if (!entry) {
      // The name may be there for other architectures (a source repository, an i686 package): say so.
      const others = choices.archesOf(query);
      const hint = others.length > 0 ? `; it exists for ${others.join(', ')} (use --arch or NAME.ARCH)` : '';
      const error = new RepoError('ERR_NOT_IN_REPO', query, `${query}: no package in the repository matches (plain names match ${arches.join(', ')}${hint}; ${primary.value.count} packages in ${primary.url})`);
      return { query, ok: false, error };
    }
    try {
      return { query, ok: true, package: repoPackage(query, entry, repoPath, mirrorsAreFiles) };
    } catch (err) {
      if (err instanceof RepoError) return { query, ok: false, error: err };
      throw err;
    }
  });
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const item of items) {
    if (item.ok && !seen.has(item.package.target.path)) {
      seen.add(item.package.target.path);
      targets.push(item.package.target);
    }
  }
  return {
    items,
    arches,
    targets,
    repomd: from,
    primary: { mirror: primary.mirror, url: primary.url, size: primary.size, packages: primary.value.count, cached: primary.cached },
    ...(repomd.revision !== undefined && { revision: repomd.revision }),
    attempts: [...attempts, ...primary.attempts],
  };
}

/**
 * Fetches repomd.xml.asc from the mirror that served repomd.xml and checks it; returns the attempts
 * and, when the signature does not hold, why.
 */
async function fetchAndCheckSignature(repomdTarget: NormalizedTarget, repomd: FetchedMetadata<{ bytes: Buffer }>, keys: Keyring, context: MetadataContext, signal?: AbortSignal): Promise<{ attempts: Attempt[]; problem?: string; asc?: Buffer }> {
  const ascTarget = normalizeTarget(`${repomdTarget.path}.asc`);
  const others = new Map(context.mirrors().filter((m) => m !== repomd.mirror).map((m) => [m, 'repomd.xml.asc must come from the mirror that served repomd.xml'] as const));
  let asc: FetchedMetadata<Buffer>;
  try {
    asc = await fetchMetadata(
      {
        target: ascTarget,
        expect: { maxBytes: 64 * 1024 },
        decompress: false,
        skip: others,
        sink: wholeFile((bytes) => bytes),
      },
      context,
      signal,
    );
  } catch (err) {
    if (!(err instanceof DownloadError)) throw err;
    return { attempts: [...err.attempts], problem: `no repomd.xml.asc from ${repomd.mirror.label}` };
  }
  // OpenPGP.js (about 80 ms to load) only when a signature is to be checked.
  const { checkRepomdSignature } = await import('./repomd-signature.js');
  const problem = await checkRepomdSignature(repomd.value.bytes, asc.value, keys);
  if (problem === undefined) return { attempts: asc.attempts.slice(), asc: asc.value };
  const last = asc.attempts[asc.attempts.length - 1] as Attempt;
  return { attempts: [...asc.attempts.slice(0, -1), { ...last, code: problem.code, cause: problem.message }], problem: problem.message };
}

/**
 * Fetches repomd.xml from the mirrors not rejected; its sink checks it against the metalink's
 * expectation, if any (a mirror out of date fails its attempt, and the next mirror is asked), and
 * finds the primary record.
 */
function fetchRepomd(target: NormalizedTarget, repoPath: string, mirrorsAreFiles: boolean, maxSize: number, context: MetadataContext, skip: ReadonlyMap<Mirror, string>, expectation: RepomdExpectation | undefined, signal?: AbortSignal) {
  // A repomd.xml without a usable primary file (none, or one larger than allowed) is that mirror's
  // fault: the sink's failure sends the next attempt elsewhere.
  return fetchMetadata(
    {
      target,
      expect: { maxBytes: REPOMD_MAX_BYTES },
      decompress: false,
      skip,
      sink: wholeFile((bytes) => {
        const mismatch = expectation && repomdMismatch(bytes, expectation);
        if (mismatch !== undefined) throw new RpmfetchError('ERR_REPOMD_MISMATCH', mismatch);
        return { ...primaryOf(parseRepomd(bytes, target.path), target.path, repoPath, mirrorsAreFiles, maxSize), bytes };
      }),
    },
    context,
    signal,
  );
}

/** The request for the primary file `record` describes: checked against it and its limits, keeping what the queries can use. */
function primaryRequest(record: RepomdRecord, target: NormalizedTarget, want: PrimaryWant, keep: boolean): MetadataRequest<ParsedPrimary> {
  return {
    target,
    expect: { checksum: record.checksum, maxBytes: want.maxSize, ...(record.size !== undefined && { size: record.size }) },
    decompress: true,
    ...(record.openSize !== undefined && { openSize: record.openSize }),
    maxOpenSize: want.maxSize,
    sink: () => {
      const choices = new QueryChoices(want.queries, want.arches);
      const parser = new PrimaryParser(choices, target.path);
      return { write: (c) => parser.write(c), end: () => (parser.end(), { count: parser.count, choices }) };
    },
    packages: (parsed) => parsed.count,
    ...(keep && { keep: true }),
  };
}

/**
 * The primary file: from the Downloader's memory when it holds the file this record describes
 * (checked and parsed again, no request), else from the mirrors. `keep`: return its bytes (for the
 * cache's metadata area).
 */
async function fetchPrimary(record: RepomdRecord, target: NormalizedTarget, want: PrimaryWant, context: MetadataContext, cache: MetadataCache | undefined, signal: AbortSignal | undefined, keep: boolean): Promise<PrimaryFetched> {
  const request = primaryRequest(record, target, want, cache !== undefined || keep);
  const key = `${record.checksum.type}:${record.checksum.hex}`;
  const hit = cache?.get(key);
  if (hit) {
    const started = performance.now();
    try {
      const parsed = await checkAndParse(target.path, Readable.from(hit.chunks), request, { worker: false, ...(signal && { signal }) });
      context.emit({ type: 'metadata', target: target.path, mirror: hit.mirror, url: hit.url, size: parsed.bytes, packages: parsed.value.count, duration: performance.now() - started, cached: true });
      return { value: parsed.value, url: hit.url, mirror: hit.mirror, size: parsed.bytes, attempts: [], cached: true, ...(keep && { kept: hit.chunks }) };
    } catch (err) {
      if (signal?.aborted) throw new DownloadError('ERR_ABORTED', target.path, 'aborted', [], { cause: err });
      debug('%s: the cached copy did not parse (%s); fetching it again', target.path, (err as Error).message);
      cache?.delete(key);
    }
  }
  const fetched = await fetchMetadata(request, context, signal);
  if (cache && fetched.kept) cache.set(key, { chunks: fetched.kept, url: fetched.url, mirror: fetched.mirror.label });
  return { value: fetched.value, url: fetched.url, mirror: fetched.mirror.label, size: fetched.size, attempts: fetched.attempts, cached: false, ...(keep && fetched.kept && { kept: fetched.kept }) };
}

/**
 * repomd.xml's primary record and where to fetch it (its location obeys the rules of package
 * locations, its sizes the limits).
 */
function primaryOf(repomd: Repomd, what: string, repoPath: string, mirrorsAreFiles: boolean, maxSize: number): { repomd: Repomd; record: RepomdRecord; target: NormalizedTarget } {
  const record = primaryRecord(repomd, what);
  const tooLarge = statedSizeProblem(record, maxSize);
  if (tooLarge !== undefined) throw new RpmfetchError('ERR_REPO_METADATA', `${what}: ${tooLarge}`);
  let location: string;
  try {
    location = locate(record.href, record.base, mirrorsAreFiles, false).path;
  } catch (err) {
    throw new RpmfetchError('ERR_REPO_METADATA', `${what} places the primary file at ${(err as Error).message}`);
  }
  return { repomd, record, target: repoTarget(repoPath, location) };
}

function repoPackage(query: string, entry: PrimaryEntry, repoPath: string, mirrorsAreFiles: boolean): RepoPackage {
  const location = packageLocation(query, entry.href, entry.base, mirrorsAreFiles);
  const nevra = formatNevra(entry);
  const path = entry.base ? location.path : repoPath ? `${repoPath}/${location.path}` : location.path;
  const target: Target = { path, size: entry.size, checksum: entry.checksum, nevra };
  try {
    normalizeTarget(target);
  } catch (err) {
    throw new RepoError('ERR_REPO_METADATA', query, `${query}: ${entry.href}: ${(err as Error).message}`);
  }
  return { ...entry, nevra, target };
}
