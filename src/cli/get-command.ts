/**
 * `rpmfetch get`: download targets from mirrors, verified. Paths come as arguments or from a JSON-lines
 * manifest. Results go to stdout with --json; human lines and errors to stderr.
 */
import { Command, InvalidArgumentError } from 'commander';
import { InvalidOptionError, RpmfetchError } from '../errors.js';
import type { Downloader } from '../client/downloader.js';
import type { Resolution } from '../repo/resolve.js';
import type { DownloadEvent } from '../client/events.js';
import { resolveOptions, type DownloaderOptions, type TlsOptions } from '../client/options.js';
import { readTlsFiles } from '../client/tls-files.js';
import { normalizeTarget, type Target } from '../fetch/target.js';
import { announceStop, type CliIo } from './io.js';
import { Keyring } from '../rpm/keyring.js';
import { readManifest } from './manifest.js';
import { failedLines, LineReporter, TtyProgress, type Reporter } from './progress.js';
import { addRequestFlags, requestOptionsFromFlags, type RequestFlags } from './request-flags.js';
import { addRepoFileFlags, openReposFromFlags, usesRepoFiles, type RepoFileFlags } from './repofile-flags.js';
import { errorJson, ResultLines } from './result-lines.js';
import { sizeFlag } from './size-flag.js';
import type { RepoSet, RepoSetResolution } from '../client/repo-set.js';
import { addMetadataCacheFlags, metadataCacheOptions, type MetadataCacheFlags } from './metadata-cache-flags.js';

/** Flags of `rpmfetch get`, as commander hands them over (request headers and credentials: request-flags.ts). */
export interface GetFlags extends Partial<RequestFlags>, Partial<RepoFileFlags>, MetadataCacheFlags {
  mirror: string[];
  dest: string;
  manifest?: string;
  size?: number;
  sha256?: string;
  integrity?: string;
  retries?: number;
  concurrency?: number;
  lanes?: number;
  connectTimeout?: number;
  responseTimeout?: number;
  stallTimeout?: number;
  minRate?: number;
  totalTimeout?: number;
  maxSize?: number;
  reuse: boolean;
  /** The package store's directory, or false for `--no-cache` (default: `RPMFETCH_CACHE`). */
  cache?: string | false;
  /** `--cache-max-size`: the store's size limit in bytes. */
  cacheMaxSize?: number;
  allowInsecureRedirects?: boolean;
  json?: boolean;
  quiet?: boolean;
  key: string[];
  repo?: boolean;
  arch: string[];
  repoGpgcheck?: boolean;
  /** `--metalink URL`: repository mode, mirrors (and repomd.xml's hashes) from a metalink. */
  metalink?: string;
  /** `--mirrorlist URL`: repository mode, mirrors from a mirrorlist. */
  mirrorlist?: string;
  /** A proxy URL, or false for `--no-proxy`. */
  proxy?: string | false;
  ca?: string;
  clientCert?: string;
  clientKey?: string;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--cache DIR`, else `RPMFETCH_CACHE` unless `--no-cache`; an empty variable means none. */
function cacheOption(flag: string | false | undefined, maxSize: number | undefined): { cache?: string; cacheMaxSize?: number } {
  if (flag === false) return {};
  const dir = flag ?? process.env['RPMFETCH_CACHE'];
  return dir ? { cache: dir, ...(maxSize !== undefined && { cacheMaxSize: maxSize }) } : {};
}

/** Download options from flags; seconds become milliseconds here. */
export function downloadOptionsFromFlags(flags: GetFlags, signal: AbortSignal): DownloaderOptions {
  const ms = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000));
  const timeouts = Object.fromEntries(
    Object.entries({
      connect: ms(flags.connectTimeout),
      response: ms(flags.responseTimeout),
      stall: ms(flags.stallTimeout),
      minRate: flags.minRate,
      total: ms(flags.totalTimeout),
    }).filter(([, v]) => v !== undefined),
  );
  return {
    mirrors: flags.mirror,
    dest: flags.dest,
    timeouts,
    reuse: flags.reuse,
    signal,
    ...cacheOption(flags.cache, flags.cacheMaxSize),
    ...metadataCacheOptions(flags),
    ...(flags.retries !== undefined && { retries: flags.retries }),
    ...(flags.concurrency !== undefined && { concurrency: flags.concurrency }),
    ...(flags.lanes !== undefined && { lanes: flags.lanes }),
    ...(flags.maxSize !== undefined && { maxSize: flags.maxSize }),
    ...(flags.allowInsecureRedirects && { allowInsecureRedirects: true }),
    ...(flags.proxy !== undefined && { proxy: flags.proxy }),
  };
}

/** `--ca`, `--client-cert`, `--client-key`: the TLS option, read from files. */
async function tlsFromFlags(flags: GetFlags): Promise<TlsOptions | undefined> {
  if (flags.ca === undefined && flags.clientCert === undefined && flags.clientKey === undefined) return undefined;
  return readTlsFiles({ ca: flags.ca, cert: flags.clientCert, key: flags.clientKey }, { ca: '--ca', cert: '--client-cert', key: '--client-key' });
}

/** The targets of a command line: positional paths, manifest lines, and the single-target flags. */
export async function targetsFromFlags(paths: string[], flags: GetFlags): Promise<Target[]> {
  const targets: Target[] = paths.map((path) => ({ path }));
  if (flags.manifest) {
    for (const { target, where } of await readManifest(flags.manifest)) {
      try {
        normalizeTarget(target);
      } catch (err) {
        throw err instanceof InvalidOptionError ? new InvalidOptionError(`${where}: ${err.message}`) : err;
      }
      targets.push(target);
    }
  }
  if (targets.length === 0) throw new InvalidOptionError('nothing to download: give paths or --manifest');
  const single = flags.size !== undefined || flags.sha256 !== undefined || flags.integrity !== undefined;
  if (single) {
    if (targets.length !== 1) throw new InvalidOptionError('--size, --sha256 and --integrity describe a single target; use --manifest for several');
    if (flags.sha256 !== undefined && flags.integrity !== undefined) throw new InvalidOptionError('give --sha256 or --integrity, not both');
    const t = targets[0] as Target;
    if (flags.size !== undefined) t.size = flags.size;
    if (flags.sha256 !== undefined) t.checksum = { type: 'sha256', hex: flags.sha256 };
    if (flags.integrity !== undefined) t.integrity = flags.integrity;
  }
  for (const t of targets) normalizeTarget(t);
  return targets;
}

/** Checks the flag combinations of repository mode. */
function checkRepoFlags(queries: string[], flags: GetFlags): void {
  if (usesRepoFiles(flags)) {
    if (flags.mirror.length > 0 || flags.metalink !== undefined || flags.mirrorlist !== undefined || flags.repoGpgcheck) {
      throw new InvalidOptionError('--repofile takes the mirrors (and repo_gpgcheck) from the .repo files: no --mirror, --metalink, --mirrorlist or --repo-gpgcheck with it');
    }
    flags.repo = true;
  }
  const discovered = flags.metalink !== undefined || flags.mirrorlist !== undefined || usesRepoFiles(flags);
  if (flags.metalink !== undefined && flags.mirrorlist !== undefined) throw new InvalidOptionError('give --metalink or --mirrorlist, not both');
  // A metalink or mirrorlist names a repository: its arguments are package names.
  if (discovered) flags.repo = true;
  if (!flags.repo) {
    if (flags.arch.length > 0 || flags.repoGpgcheck) throw new InvalidOptionError('--arch and --repo-gpgcheck apply to --repo');
    return;
  }
  if (flags.repoGpgcheck && flags.key.length === 0) throw new InvalidOptionError('--repo-gpgcheck needs --key (the keys repomd.xml.asc must be signed by)');
  if (flags.manifest || flags.size !== undefined || flags.sha256 !== undefined || flags.integrity !== undefined) {
    throw new InvalidOptionError('--repo takes package names; --manifest, --size, --sha256 and --integrity do not apply (the repository supplies size and checksum)');
  }
  if (queries.length === 0) throw new InvalidOptionError('--repo needs package names (NAME, NAME.ARCH or N-[E:]V-R[.A])');
  if (flags.mirror.length === 0 && !discovered) throw new InvalidOptionError('--repo needs at least one --mirror (the repository base), or --metalink, --mirrorlist or --repofile');
}

/** Resolves the queries, reporting those that fail; undefined when the metadata itself failed. */
async function resolveForCli(downloader: Downloader, queries: string[], flags: GetFlags, out: (line: string) => void, reporter: Reporter): Promise<Resolution | undefined> {
  let resolution: Resolution;
  try {
    resolution = await downloader.resolve(queries, {
      arch: flags.arch,
      ...(flags.repoGpgcheck && { repoGpgcheck: true }),
      ...(flags.metalink !== undefined && { metalink: flags.metalink }),
      ...(flags.mirrorlist !== undefined && { mirrorlist: flags.mirrorlist }),
    });
  } catch (err) {
    if (!(err instanceof RpmfetchError) || err.code === 'ERR_INVALID_OPTION') throw err;
    // Cache-only made no request, so no 'failed' event has shown it.
    if (err.code === 'ERR_NOT_CACHED') reporter.note([`FAIL  ${err.message}`]);
    // The reporter has shown the metadata's failure (its 'failed' event); with --json every query
    // fails with it, attempts included.
    for (const query of queries) out(JSON.stringify(errorJson(query, null, err, { query })));
    return undefined;
  }
  for (const item of resolution.items) {
    if (item.ok) continue;
    out(JSON.stringify(errorJson(item.query, null, item.error, { query: item.query })));
    reporter.note(failedLines(item.query, item.error));
  }
  return resolution;
}

/** As {@link resolveForCli}, across the repositories of .repo files. */
async function resolveSetForCli(set: RepoSet, queries: string[], flags: GetFlags, out: (line: string) => void, reporter: Reporter): Promise<RepoSetResolution | undefined> {
  let resolution: RepoSetResolution;
  try {
    resolution = await set.resolve(queries, { arch: flags.arch });
  } catch (err) {
    if (!(err instanceof RpmfetchError) || err.code === 'ERR_INVALID_OPTION') throw err;
    for (const query of queries) out(JSON.stringify(errorJson(query, null, err, { query })));
    reporter.note([`FAIL  ${err.message}`]);
    return undefined;
  }
  for (const item of resolution.items) {
    if (item.ok) continue;
    out(JSON.stringify(errorJson(item.query, null, item.error, { query: item.query })));
    reporter.note(failedLines(item.query, item.error));
  }
  return resolution;
}

/** Runs `get`; resolves with the exit status (0 all verified, 1 any failed). Usage errors throw. */
export async function runGet(args: string[], flags: GetFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  checkRepoFlags(args, flags);
  const targets = flags.repo ? [] : await targetsFromFlags(args, flags);
  const options = downloadOptionsFromFlags(flags, signal);
  if (flags.key.length > 0) options.keys = await Keyring.load(flags.key);
  const tls = await tlsFromFlags(flags);
  if (tls) options.tls = tls;
  Object.assign(options, await requestOptionsFromFlags({ header: [], ...flags }));
  const dest = resolveOptions(options).dest; // validates every option before the first byte
  if (flags.mirror.length === 0 && !flags.cacheonly && targets.some((t) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(t.path))) {
    throw new InvalidOptionError('give at least one --mirror (or absolute URLs)');
  }
  const reporter: Reporter = io.tty && !flags.quiet ? new TtyProgress(io.tty, flags.repo ? args.length : targets.length) : new LineReporter((l) => io.err(l), flags.quiet === true);
  // Through the reporter: on a terminal a line written beside the live display would be drawn over.
  const stopListening = announceStop(signal, (line) => reporter.note([line]));
  /** Repository mode: the queries each target answers, for the JSON lines. */
  const queriesOf = new Map<string, string>();
  /** With --repofile: the repository each target comes from. */
  const reposOf = new Map<string, string>();
  // On a terminal that shows both streams, a result line must not land where the display redraws.
  const out = !flags.json ? () => {} : io.sharedTerminal ? (line: string) => reporter.interject(() => io.out(line)) : (line: string) => io.out(line);
  const lines = new ResultLines(dest, out, (path) => ({ query: queriesOf.get(path), repo: reposOf.get(path) }));
  const onEvent = (event: DownloadEvent): void => {
    // The result line first: it is the output; a display that throws must not cost it.
    lines.onEvent(event);
    reporter.onEvent(event);
  };
  if (usesRepoFiles(flags)) {
    const { mirrors: _fromFiles, ...base } = options;
    const skip = (repo: string, err: RpmfetchError) => reporter.note([`warning: repository ${repo} skipped (skip_if_unavailable=1): ${err.message}`]);
    const set = await openReposFromFlags(flags as GetFlags & RepoFileFlags, { ...base, onEvent, metadataCache: false, onSkip: skip });
    try {
      const resolved = await resolveSetForCli(set, args, flags, out, reporter);
      if (!resolved) return 1;
      for (const item of resolved.items) {
        if (!item.ok) continue;
        const path = item.package.target.path;
        queriesOf.set(path, [queriesOf.get(path), item.query].filter(Boolean).join(' '));
        reposOf.set(path, item.repo);
      }
      lines.expect(resolved.targets.map((t) => t.target));
      const batch = await set.downloadAll(resolved.targets);
      lines.finish(batch.items);
      return batch.failed + resolved.items.filter((i) => !i.ok).length === 0 ? 0 : 1;
    } finally {
      stopListening();
      reporter.finish();
      set.close();
    }
  }
  // Loaded here, not with the CLI: `rpmfetch verify` does without the HTTP and repository stack.
  const { createDownloader } = await import('../client/downloader.js');
  // One resolve per process: no primary file worth keeping in memory.
  const downloader = createDownloader({ ...options, onEvent, metadataCache: false });
  try {
    let failed = 0;
    if (flags.repo) {
      const resolved = await resolveForCli(downloader, args, flags, out, reporter);
      if (!resolved) return 1;
      for (const item of resolved.items) {
        if (item.ok) queriesOf.set(item.package.target.path, [queriesOf.get(item.package.target.path), item.query].filter(Boolean).join(' '));
      }
      failed = resolved.items.filter((i) => !i.ok).length;
      targets.push(...resolved.targets);
    }
    lines.expect(targets);
    const batch = await downloader.downloadAll(targets);
    lines.finish(batch.items);
    return batch.failed + failed === 0 ? 0 : 1;
  } finally {
    stopListening();
    reporter.finish();
    downloader.close();
  }
}

/** Registers `get` on the program. */
export function getCommand(io: CliIo, done: (code: number) => void, signal: AbortSignal): Command {
  return addMetadataCacheFlags(addRepoFileFlags(addRequestFlags(new Command('get'))))
    .description('download packages from mirrors; only verified files are left in --dest')
    .argument('[path...]', 'paths relative to every mirror (or absolute URLs); with --repo, package names')
    .option('--mirror <url>', 'mirror base URL, http(s):// or file://; repeat in order of preference', collect, [])
    .option('--dest <dir>', 'destination directory', '.')
    .option('--manifest <file.jsonl>', 'JSON lines, one target each: {"path", "size"?, "sha256"?, "integrity"?}')
    .option('--size <bytes>', 'expected size of the single target', wholeNumber)
    .option('--sha256 <hex>', 'expected SHA-256 of the single target')
    .option('--integrity <sri>', 'expected SRI string (sha256-…, sha512-…) of the single target')
    .option('--retries <n>', 'extra attempts per mirror (default 2: three attempts each)', wholeNumber)
    .option('--concurrency <n>', 'targets downloaded at once (default 4)', positive)
    .option('--lanes <n>', 'worker threads that each run whole transfers, at most 16 (default 0: all on the main thread, hashing of large packages on workers)', wholeNumber)
    .option('--connect-timeout <s>', 'seconds to connect (default 10)', seconds)
    .option('--response-timeout <s>', 'seconds from request to response headers (default 30)', seconds)
    .option('--stall-timeout <s>', 'seconds without a byte, or below --min-rate, before a body counts as stalled (default 30)', seconds)
    .option('--min-rate <bytes>', 'bytes per second a body must keep up over the stall window; 0 turns it off (default 1000)', wholeNumber)
    .option('--total-timeout <s>', 'seconds for a whole target, every attempt included (default none)', seconds)
    .option('--max-size <bytes>', 'the most bytes one package may take, whatever it or a server says (default 16 GiB)', positive)
    .option('--no-reuse', 'download even when a verified file is already in --dest')
    .option('--cache <dir>', 'a package store shared by every build on the host: packages are placed from it (hard link, clone or copy) and every verified download is added (default: $RPMFETCH_CACHE)')
    .option('--no-cache', 'use no package store, whatever RPMFETCH_CACHE says')
    .option('--cache-max-size <size>', 'with a cache: after adding packages, remove the least recently used until the store holds at most this (k, M, G suffixes, 1024-based)', sizeFlag)
    .option('--allow-insecure-redirects', 'follow redirects from https to http')
    .option('--key <file.asc>', 'trusted public key file (armored or binary); repeat for several. With keys, every package must carry a valid signature by one of them', collect, [])
    .option('--repo', 'arguments are package names (NAME, NAME.ARCH, N-[E:]V-R[.A]) resolved through the mirrors\' repodata/, which supplies size and checksum')
    .option('--arch <arch>', 'with --repo: architectures plain names resolve to (default: this machine\'s, plus noarch; "src" for source packages); repeat or comma-separate', collect, [])
    .option('--proxy <url>', 'forward proxy for every request (default: from https_proxy / http_proxy / all_proxy, minus no_proxy)')
    .option('--no-proxy', 'connect directly, whatever the environment says')
    .option('--ca <file.pem>', 'extra CA certificates to trust for https mirrors')
    .option('--client-cert <file.pem>', 'client certificate for https mirrors that require one (with --client-key)')
    .option('--client-key <file.pem>', 'private key of --client-cert')
    .option('--metalink <url>', "a repository's metalink (MirrorManager's): its mirrors, in order of preference, and the hashes repomd.xml must match; arguments are package names, as with --repo")
    .option('--mirrorlist <url>', "a repository's mirrorlist (one base per line; an answer that is a metalink is read as one); arguments are package names, as with --repo")
    .option('--repo-gpgcheck', "with --repo: repomd.xml must carry a detached signature (repomd.xml.asc) by one of the --key keys, as dnf's repo_gpgcheck")
    .option('--json', 'print one JSON object per target on stdout')
    .option('--quiet', 'print nothing but failures')
    .action(async (paths: string[], flags: GetFlags) => {
      done(await runGet(paths, flags, io, signal));
    });
}
