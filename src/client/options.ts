/**
 * The public options of downloads, batches and Downloaders, their defaults (README, "Downloading
 * packages") and validation: what the layers below run under is resolved here, once.
 */
import { resolve } from 'node:path';
import createDebug from 'debug';
import { InvalidOptionError } from '../errors.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../fetch/backoff.js';
import { parseMirrorBase, type HealthPolicy } from '../fetch/mirror.js';
import type { FetchPolicy } from '../fetch/policy.js';
import { resolveTimeouts, type DownloadTimeouts } from '../fetch/timeouts.js';
import type { Keyring } from '../rpm/keyring.js';
import type { OffloadMode } from '../rpm/stream-hasher.js';
import { resolveProxy, type ProxyConfig, type ProxyOption } from '../transport/proxy.js';
import type { DownloadEvent } from './events.js';
import { resolveRequestExtras, type RequestExtras } from './request-options.js';

const debug = createDebug('rpmfetch:retry');

/** Options of {@link download} (and of every download of a Downloader). */
export interface DownloadOptions {
  /** Mirror base URLs in order of preference: `http://`, `https://` or `file://`. */
  mirrors: ReadonlyArray<string | URL>;
  /** Destination directory (created if missing). Default: the current directory. */
  dest?: string;
  /** Extra attempts per mirror after the first (each mirror gets `retries + 1`). Default 2. */
  retries?: number;
  /** Time limits in milliseconds; see {@link DownloadTimeouts}. */
  timeouts?: DownloadTimeouts;
  /** Backoff between attempts on one mirror, in ms: `{ min: 500, max: 10000 }` by default. */
  backoff?: Partial<BackoffOptions>;
  /**
   * Longest Retry-After (ms) honoured by waiting; a mirror asking for longer is given up for the
   * target. Default 60 000.
   */
  maxRetryAfter?: number;
  /**
   * Hedged requests: when the chosen mirror has sent no response headers after this many ms (or four
   * times its usual time to headers, if longer), the next mirror is asked as well and the first good
   * answer wins. `true` (default) means 2000 ms; `false` turns hedging off.
   */
  hedge?: boolean | number;
  /** Redirects followed per request. Default 5. */
  maxRedirects?: number;
  /** Follow redirects from https to http. Default false. */
  allowInsecureRedirects?: boolean;
  /** Use an existing destination file when it verifies against the target. Default true. */
  reuse?: boolean;
  /**
   * A package store shared by every process and build on the host (a directory, created if missing):
   * packages are taken from it when it holds one the target matches, placed by hard link, clone or
   * copy, and every package downloaded and verified is added to it. Processes wanting the same package
   * at once download it once. Off unless given. See the README, "Sharing a cache between builds".
   */
  cache?: string;
  // --- metadata cache and cache-only (README, "Repositories") ---
  /**
   * With `cache`: how long (ms) a repository's stored repomd.xml is used without asking a mirror, as
   * dnf's `metadata_expire` (default 48 h; `-1` or `Infinity`: never expires; `0`: always ask). After
   * that repomd.xml is fetched again: when it is byte-identical to the stored one, the stored primary
   * file is kept; otherwise the new primary file is fetched and stored.
   */
  metadataExpire?: number;
  /**
   * Resolve and place from the cache alone (dnf's `--cacheonly`): no request to any mirror, metalink or
   * mirrorlist. What the cache lacks (a repository's metadata, a package) fails with `ERR_NOT_CACHED`
   * (`NotCachedError`). Stored metadata is used however old it is. Needs `cache`. Default false.
   */
  cacheOnly?: boolean;
  // --- end metadata cache and cache-only ---
  /**
   * The most bytes of packages the `cache` store may hold: after adding a package, a Downloader
   * removes the least recently used ones (those whose last hit or insert is oldest) until the store is
   * under it. Other processes placing a package being removed keep whole bytes or download it again.
   * Only with `cache`. Default: no limit. See the README, "Sharing a cache between builds".
   */
  cacheMaxSize?: number;
  /**
   * The most bytes one package may take, whatever it (or a server) says of itself: a package that says
   * it is longer is refused from its headers, and no transfer goes past it (`ERR_TOO_LARGE`). The
   * package's own size tags, a caller's `size` and the files its header lists bound it further.
   * Default 16 GiB (`DEFAULT_MAX_SIZE`), well above the largest packages distributions ship.
   */
  maxSize?: number;
  /** Stops the download; it rejects with `ERR_ABORTED` and leaves no temporary file. */
  signal?: AbortSignal;
  /** Receives progress and retry events. Exceptions it throws are logged and ignored. */
  onEvent?: (event: DownloadEvent) => void;
  /** User-Agent header. Default `rpmfetch/<version>`. */
  userAgent?: string;
  /** Hash on worker threads; see `VerifyOptions.offload`. */
  offload?: OffloadMode;
  /**
   * Download lanes: worker threads that each hold whole package transfers (connection, temporary file,
   * verification), so that transfers run on more than one core. Default 0: every transfer runs on the
   * Downloader's thread and large packages hash on worker threads. On the two-core machine of
   * `bench/batch`, where the mirror shares the cores, two lanes took 1.25x the time of none and 35 %
   * more CPU (README, "Performance"); lanes can pay where cores are many and the mirrors elsewhere.
   * At most 16.
   */
  lanes?: number;
  /**
   * Trusted public keys ({@link Keyring.load}). With keys, every package must carry at least one valid
   * signature by one of them, made while its key was valid, and no bad one (`ERR_SIGNATURE_BAD`,
   * `ERR_SIGNATURE_NOKEY`, `ERR_UNSIGNED`, `ERR_KEY_EXPIRED`, `ERR_KEY_REVOKED`).
   */
  keys?: Keyring;
  /**
   * Forward proxy: a URL for every request, `{ http, https, noProxy }`, or `false` to ignore the
   * environment. Default: `https_proxy` / `http_proxy` / `all_proxy` / `no_proxy` (either case).
   */
  proxy?: ProxyOption;
  /** TLS towards https mirrors: extra trusted CAs, and a client certificate for mirrors that ask for one. */
  tls?: TlsOptions;
  // --- request headers and credentials (README, "Credentials and extra headers") ---
  /**
   * Extra headers for every request to a mirror (packages and repository metadata), e.g.
   * `{ Authorization: 'Bearer …' }`. Sent only to the origin of the URL asked for: not after a
   * redirect to another origin, never in a proxy's CONNECT. Names must be tokens and values free of
   * CR, LF and other control characters; the headers that frame a request or that rpmfetch sets
   * itself (Host, Content-Length, Transfer-Encoding, Connection, Range, conditional headers,
   * User-Agent, Proxy-Authorization…) are refused. Values never appear in any output.
   */
  headers?: Record<string, string>;
  /**
   * User name for HTTP Basic authentication with every mirror (a mirror URL's own userinfo wins).
   * Sent to each mirror's own origin only: not after a redirect to another origin (an https → http
   * redirect, when allowed, is another origin). No `:` in it (RFC 7617).
   */
  username?: string;
  /** Password for {@link username}; needs it. Never appears in any output. */
  password?: string;
  // --- end request headers and credentials ---
}

/** TLS settings for https mirrors (PEM text or buffers). */
export interface TlsOptions {
  /** CA certificates to trust besides Node's (a private mirror's CA). */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Client certificate, for mirrors that require one; needs `key`. */
  cert?: string | Buffer;
  /** The client certificate's private key. */
  key?: string | Buffer;
}

/** Options of batches and Downloaders, on top of {@link DownloadOptions}. */
export interface BatchOptions {
  /** Targets downloading at once (a package placed from the `cache` store takes no slot). Default 4. */
  concurrency?: number;
  /** Requests in flight per mirror (keep-alive connections are reused across targets). Default 4. */
  connectionsPerMirror?: number;
  /** Stop the rest of a batch at its first failed target. Default false. */
  failFast?: boolean;
  /** Order healthy mirrors by observed success and throughput instead of your order. Default false. */
  adaptive?: boolean;
  /** Consecutive failures (no success between) that put a mirror in cooldown. Default 3. */
  cooldownAfter?: number;
  /** First cooldown in ms; it doubles while the mirror keeps failing. Default 30 000. */
  cooldown?: number;
  // --- mirror failure cap (README, "Mirror health") ---
  /**
   * A mirror that has served nothing yet is dropped by this Downloader once this many of its
   * attempts have failed, as librepo's `allowedmirrorfailures` skips it (librepo's default is 4).
   * What counts: connection failures, timeouts, stalls, cut-off bodies, 5xx other than 503, and bytes
   * that fail verification; a 404/410, another 4xx, 429/503 (the mirror asked to slow down) and a
   * lost hedge do not. A mirror that has served a file is never dropped by this count (its cooldown
   * covers later trouble). Default 0: off (attempt budgets and cooldowns decide; see README).
   */
  maxMirrorFailures?: number;
  // --- end mirror failure cap ---
  /**
   * Keep the last two primary files in memory (as received, compressed) so that a later `resolve()`
   * whose fresh repomd.xml describes the same file parses it without a request. Default true.
   */
  metadataCache?: boolean;
}

/** Options of {@link createDownloader}: everything a download and a batch take. */
export interface DownloaderOptions extends DownloadOptions, BatchOptions {}

/** Options with defaults applied. */
export interface ResolvedOptions {
  /** The mirror bases, checked. */
  readonly mirrors: readonly URL[];
  readonly dest: string;
  /** How each file is fetched: attempts, backoff, timeouts, hedging. */
  readonly fetch: FetchPolicy;
  /** How mirror health turns into order and gates. */
  readonly health: HealthPolicy;
  readonly maxRedirects: number;
  readonly allowInsecureRedirects: boolean;
  readonly reuse: boolean;
  /** The package store's directory, absolute; undefined when there is none. */
  readonly cache: string | undefined;
  /** `metadataExpire` in ms; negative: never. */
  readonly metadataExpire: number;
  readonly cacheOnly: boolean;
  /** The package store's size limit in bytes; undefined for none. */
  readonly cacheMaxSize: number | undefined;
  readonly maxSize: number;
  readonly userAgent: string;
  readonly offload: OffloadMode;
  readonly lanes: number;
  readonly concurrency: number;
  readonly failFast: boolean;
  readonly keys: Keyring | undefined;
  readonly proxy: ProxyConfig;
  readonly tls: TlsOptions | undefined;
  /** Headers and credentials of every request to a mirror. */
  readonly request: RequestExtras;
}

export const USER_AGENT = 'rpmfetch/0.1';
export const DEFAULT_HEDGE_DELAY = 2000;
/** Default {@link DownloadOptions.maxSize}: 16 GiB. */
export const DEFAULT_MAX_SIZE = 16 * 1024 ** 3;

function count(value: number | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new InvalidOptionError(`${name} must be an integer of at least ${min}, got ${value}`);
  return value;
}

const MAX_LANES = 16;

function lanes(value: number | undefined): number {
  const n = count(value, 'lanes', 0);
  if (n > MAX_LANES) throw new InvalidOptionError(`lanes must be at most ${MAX_LANES}, got ${n}`);
  return n;
}

function cacheDir(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidOptionError('cache must be a directory path');
  return resolve(value);
}

/** dnf's default `metadata_expire`: 48 hours, in ms. */
export const DEFAULT_METADATA_EXPIRE = 48 * 3600 * 1000;

function metadataExpire(value: number | undefined): number {
  if (value === undefined) return DEFAULT_METADATA_EXPIRE;
  if (value === -1 || value === Number.POSITIVE_INFINITY) return -1;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidOptionError(`metadataExpire must be a number of ms (-1 or Infinity: never), got ${value}`);
  return value;
}

function cacheOnly(value: boolean | undefined, cache: string | undefined): boolean {
  if (value && cache === undefined) throw new InvalidOptionError('cacheOnly needs a cache to take everything from');
  return value ?? false;
}

function cacheMaxSize(value: number | undefined, cache: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (cache === undefined) throw new InvalidOptionError('cacheMaxSize needs cache');
  return count(value, 'cacheMaxSize', 0);
}

/** Validates options and applies defaults; throws {@link InvalidOptionError}. */
export function resolveOptions(o: DownloaderOptions): ResolvedOptions {
  if (!o || !Array.isArray(o.mirrors)) throw new InvalidOptionError('mirrors must be an array of base URLs');
  const backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
  if (!(backoff.min >= 0 && backoff.max >= backoff.min)) throw new InvalidOptionError('backoff needs 0 <= min <= max');
  const hedge = o.hedge ?? true;
  if (typeof hedge === 'number' && !(hedge > 0)) throw new InvalidOptionError(`hedge must be true, false or a positive delay in ms, got ${hedge}`);
  return {
    mirrors: o.mirrors.map((m) => parseMirrorBase(m)),
    dest: resolve(o.dest ?? '.'),
    fetch: {
      attemptsPerMirror: count(o.retries, 'retries', 2) + 1,
      timeouts: resolveTimeouts(o.timeouts),
      backoff,
      maxRetryAfter: count(o.maxRetryAfter, 'maxRetryAfter', 60_000),
      hedgeDelay: hedge === false ? undefined : hedge === true ? DEFAULT_HEDGE_DELAY : hedge,
      adaptive: o.adaptive ?? false,
    },
    health: {
      connectionsPerMirror: count(o.connectionsPerMirror, 'connectionsPerMirror', 4, 1),
      cooldownAfter: count(o.cooldownAfter, 'cooldownAfter', 3, 1),
      cooldown: count(o.cooldown, 'cooldown', 30_000),
      maxFailures: count(o.maxMirrorFailures, 'maxMirrorFailures', 0),
    },
    maxRedirects: count(o.maxRedirects, 'maxRedirects', 5),
    allowInsecureRedirects: o.allowInsecureRedirects ?? false,
    reuse: o.reuse ?? true,
    cache: cacheDir(o.cache),
    metadataExpire: metadataExpire(o.metadataExpire),
    cacheOnly: cacheOnly(o.cacheOnly, o.cache),
    cacheMaxSize: cacheMaxSize(o.cacheMaxSize, o.cache),
    maxSize: count(o.maxSize, 'maxSize', DEFAULT_MAX_SIZE, 1),
    userAgent: o.userAgent ?? USER_AGENT,
    offload: o.offload ?? 'auto',
    lanes: lanes(o.lanes),
    concurrency: count(o.concurrency, 'concurrency', 4, 1),
    failFast: o.failFast ?? false,
    keys: o.keys,
    proxy: resolveProxy(o.proxy),
    tls: checkTls(o.tls),
    request: resolveRequestExtras(o),
  };
}

function checkTls(tls: TlsOptions | undefined): TlsOptions | undefined {
  if (!tls) return undefined;
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new InvalidOptionError('tls.cert and tls.key go together');
  return tls;
}

/** Calls a listener without letting its exceptions into the download machinery. */
export function safeEmitter(listener: ((event: DownloadEvent) => void) | undefined): (event: DownloadEvent) => void {
  if (!listener) return () => {};
  return (event) => {
    try {
      listener(event);
    } catch (err) {
      debug('an onEvent listener threw on %s: %s', event.type, err instanceof Error ? err.message : String(err));
    }
  };
}
