/**
 * `rpmfetch get`: download targets from mirrors, verified. Paths come as arguments or from a JSON-lines
 * manifest. Results go to stdout with --json; human lines and errors to stderr.
 */
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DownloadError, InvalidOptionError, RpmfetchError } from '../errors.js';
import { createDownloader } from '../fetch/downloader.js';
import type { DownloadEvent } from '../fetch/events.js';
import { resolveOptions, type DownloaderOptions } from '../fetch/options.js';
import type { DownloadResult } from '../fetch/result.js';
import { normalizeTarget, type Target } from '../fetch/target.js';
import type { CliIo } from './io.js';
import { Keyring } from '../rpm/keyring.js';
import { readManifest } from './manifest.js';
import { LineReporter, TtyProgress, type Reporter } from './progress.js';

/** Flags of `rpmfetch get`, as commander hands them over. */
export interface GetFlags {
  mirror: string[];
  dest: string;
  manifest?: string;
  size?: number;
  sha256?: string;
  integrity?: string;
  retries?: number;
  concurrency?: number;
  connectTimeout?: number;
  responseTimeout?: number;
  stallTimeout?: number;
  minRate?: number;
  totalTimeout?: number;
  reuse: boolean;
  allowInsecureRedirects?: boolean;
  json?: boolean;
  quiet?: boolean;
  key: string[];
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
    ...(flags.retries !== undefined && { retries: flags.retries }),
    ...(flags.concurrency !== undefined && { concurrency: flags.concurrency }),
    ...(flags.allowInsecureRedirects && { allowInsecureRedirects: true }),
  };
}

/** The targets of a command line: positional paths, manifest lines, and the single-target flags. */
export async function targetsFromFlags(paths: string[], flags: GetFlags): Promise<Target[]> {
  const targets: Target[] = paths.map((path) => ({ path }));
  if (flags.manifest) targets.push(...(await readManifest(flags.manifest)));
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

function resultJson(path: string, r: DownloadResult): object {
  return {
    file: r.file,
    ok: true,
    path,
    nevra: r.rpm.nevra,
    url: r.url,
    mirror: r.mirror,
    size: r.size,
    cached: r.cached,
    attempts: r.attempts,
    digests: r.digests,
  };
}

function errorJson(path: string, file: string, err: unknown): object {
  const error =
    err instanceof DownloadError
      ? { code: err.code, message: err.message, attempts: err.attempts }
      : err instanceof RpmfetchError
        ? { code: err.code, message: err.message, attempts: [] }
        : { code: 'ERR_INTERNAL', message: String(err), attempts: [] };
  return { file, ok: false, path, nevra: null, error };
}

/** Runs `get`; resolves with the exit status (0 all verified, 1 any failed). Usage errors throw. */
export async function runGet(paths: string[], flags: GetFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const targets = await targetsFromFlags(paths, flags);
  const options = downloadOptionsFromFlags(flags, signal);
  if (flags.key.length > 0) options.keys = await Keyring.load(flags.key);
  const dest = resolveOptions(options).dest; // validates every option before the first byte
  if (flags.mirror.length === 0 && targets.some((t) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(t.path))) {
    throw new InvalidOptionError('give at least one --mirror (or absolute URLs)');
  }
  const reporter: Reporter = io.tty && !flags.quiet ? new TtyProgress(io.tty, targets.length) : new LineReporter((l) => io.err(l), flags.quiet === true);
  const onEvent = (event: DownloadEvent): void => {
    reporter.onEvent(event);
    if (!flags.json) return;
    if (event.type === 'done') io.out(JSON.stringify(resultJson(event.target, event.result)));
    else if (event.type === 'failed') io.out(JSON.stringify(errorJson(event.target, join(dest, normalizeTarget(event.target).fileName), event.error)));
  };
  const downloader = createDownloader({ ...options, onEvent });
  try {
    const batch = await downloader.downloadAll(targets);
    return batch.failed === 0 ? 0 : 1;
  } finally {
    reporter.finish();
    downloader.close();
  }
}

/** Registers `get` on the program. */
export function getCommand(io: CliIo, done: (code: number) => void, signal: AbortSignal): Command {
  return new Command('get')
    .description('download packages from mirrors; only verified files are left in --dest')
    .argument('[path...]', 'paths relative to every mirror (or absolute URLs)')
    .option('--mirror <url>', 'mirror base URL, http(s):// or file://; repeat in order of preference', collect, [])
    .option('--dest <dir>', 'destination directory', '.')
    .option('--manifest <file.jsonl>', 'JSON lines, one target each: {"path", "size"?, "sha256"?, "integrity"?}')
    .option('--size <bytes>', 'expected size of the single target', wholeNumber)
    .option('--sha256 <hex>', 'expected SHA-256 of the single target')
    .option('--integrity <sri>', 'expected SRI string (sha256-…, sha512-…) of the single target')
    .option('--retries <n>', 'extra attempts per mirror (default 2: three attempts each)', wholeNumber)
    .option('--concurrency <n>', 'targets downloaded at once (default 4)', positive)
    .option('--connect-timeout <s>', 'seconds to connect (default 10)', seconds)
    .option('--response-timeout <s>', 'seconds from request to response headers (default 30)', seconds)
    .option('--stall-timeout <s>', 'seconds without a byte, or below --min-rate, before a body counts as stalled (default 30)', seconds)
    .option('--min-rate <bytes>', 'bytes per second a body must keep up over the stall window; 0 turns it off (default 1000)', wholeNumber)
    .option('--total-timeout <s>', 'seconds for a whole target, every attempt included (default none)', seconds)
    .option('--no-reuse', 'download even when a verified file is already in --dest')
    .option('--allow-insecure-redirects', 'follow redirects from https to http')
    .option('--key <file.asc>', 'trusted public key file (armored or binary); repeat for several. With keys, every package must carry a valid signature by one of them', collect, [])
    .option('--json', 'print one JSON object per target on stdout')
    .option('--quiet', 'print nothing but failures')
    .action(async (paths: string[], flags: GetFlags) => {
      done(await runGet(paths, flags, io, signal));
    });
}
