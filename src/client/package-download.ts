/**
 * One package, as a Downloader downloads it: an existing file that verifies is used as is; otherwise the
 * file is fetched with failover through a PackageTransfer (fetch layer) and renamed into place once
 * verified. Whatever was at the destination name is replaced only by a verified copy, and left exactly
 * as it was when none arrives: the error says what it is.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import createDebug from 'debug';
import { DownloadError, type Attempt } from '../errors.js';
import { fetchFile, type FetchContext } from '../fetch/fetch-file.js';
import type { Mirror } from '../fetch/mirror.js';
import type { BatchBuffers } from '../fetch/package-sink.js';
import { PackageTransfer, type PackageFetched } from '../fetch/package-transfer.js';
import type { Lanes } from '../fetch/lanes/lanes.js';
import type { NormalizedTarget } from '../fetch/target.js';
import type { Opener, Transfer } from '../fetch/transfer.js';
import type { Verdict } from '../rpm/verdict.js';
import type { VerifyOptions } from '../rpm/verifier.js';
import { verifyFileWith } from '../rpm/verify-file.js';
import type { HashWorkers } from '../workers/hash-workers.js';
import type { PackageStore } from '../cache/store.js';
import { storeHit, throughStore, type Downloaded } from './store-package.js';
import type { DownloadEvent } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { DownloadResult } from './result.js';
import { extend } from '../extend.js';

const debug = createDebug('rpmfetch:mirror');

/** What a package download uses of its Downloader. */
export interface PackageContext {
  readonly options: ResolvedOptions;
  readonly fetch: FetchContext;
  readonly opener: Opener;
  readonly buffers: BatchBuffers;
  readonly hashWorkers: HashWorkers;
  /** Download lanes to hold the transfer, when the Downloader runs them (else it is held here). */
  readonly lanes: Lanes | undefined;
  /** The package store, when the `cache` option names one. */
  readonly store: PackageStore | undefined;
  /** The mirrors of this target, in order (read again before every attempt). */
  readonly mirrors: () => readonly Mirror[];
  readonly emit: (event: DownloadEvent) => void;
  /** Called once the package is downloaded and verified, before it is stored: frees its slot. */
  readonly downloaded?: () => void;
}

function resultOf(file: string, url: string, mirror: string, cached: boolean | 'store', attempts: readonly Attempt[], v: Verdict): DownloadResult {
  const rpm = v.rpm;
  return {
    file,
    url,
    mirror,
    size: v.size,
    cached,
    attempts,
    rpm: {
      name: rpm?.name ?? '',
      version: rpm?.version ?? '',
      release: rpm?.release ?? '',
      arch: rpm?.arch ?? '',
      buildArch: rpm?.buildArch ?? '',
      source: rpm?.source ?? false,
      nevra: rpm?.nevra ?? '',
      ...(rpm?.epoch !== undefined && { epoch: rpm.epoch }),
    },
    digests: v.digests,
    signatures: v.signatures,
    verdict: v,
  };
}

/**
 * The name the package must carry: the destination name when it is an RPM name, else the name asked
 * of the mirrors when that is one. None when a NEVRA is expected (as repository metadata gives): that
 * is the stricter check and does not depend on how anyone names files.
 */
function nameToCheck(target: NormalizedTarget): string | false {
  if (target.expectations.nevra !== undefined) return false;
  const requested = target.segments[target.segments.length - 1] ?? '';
  if (target.fileName.endsWith('.rpm')) return target.fileName;
  return requested.endsWith('.rpm') ? requested : false;
}

/** The verifier options for a target: its expectations, the name to check, the keys and the size limit. */
function verifyOptionsFor(target: NormalizedTarget, options: ResolvedOptions): VerifyOptions {
  // A spread, not extend(): these are the caller's fields, and Object.assign would run an own
  // `__proto__` key of theirs (JSON.parse makes one) as the setter.
  return {
    ...target.expectations,
    fileName: nameToCheck(target),
    offload: options.offload,
    maxSize: options.maxSize,
    ...(options.keys && { keys: options.keys }),
    // The store is keyed by the whole file's SHA-256, and admits only bytes that match the one verified.
    ...(options.cache !== undefined && { fileDigests: ['sha256'] }),
  };
}

/** Whether two stats are of the same, unchanged file. */
function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.mtimeMs === b.mtimeMs && a.size === b.size;
}

/** The result of a package placed from the store. */
const storeResult = (file: string, url: string, verdict: Verdict): DownloadResult => resultOf(file, url, 'store', 'store', [], verdict);

/**
 * A store hit placed before the target takes a download slot (a hit needs no mirror): the result, or
 * `'miss'` when the store has nothing usable, or `'skip'` when the store is not to be asked first (no
 * store, an abort, or a file at the destination that `reuse` must judge first).
 */
export async function placeFromStore(target: NormalizedTarget, context: PackageContext, signal?: AbortSignal): Promise<DownloadResult | 'miss' | 'skip'> {
  const { options, store } = context;
  if (!store || signal?.aborted) return 'skip';
  const destination = join(options.dest, target.fileName);
  if (options.reuse && (await stat(destination).catch(() => undefined))) return 'skip';
  const verify = verifyOptionsFor(target, options);
  const result = await storeHit(store, {
    target,
    destination,
    verify,
    hashWorkers: context.hashWorkers,
    resultOf: storeResult,
    signal,
  });
  if (!result) return 'miss';
  context.emit({ type: 'done', target: target.path, result });
  return result;
}

/** Downloads one target; rejects with {@link DownloadError}. `storeMissed`: the store was just asked. */
export async function downloadPackage(target: NormalizedTarget, context: PackageContext, signal?: AbortSignal, storeMissed = false): Promise<DownloadResult> {
  const { options } = context;
  const destination = join(options.dest, target.fileName);
  const verify = verifyOptionsFor(target, options);
  const before = options.reuse ? await stat(destination).catch(() => undefined) : undefined;
  let judged: { stats: Stats; verdict: Verdict } | undefined;
  if (options.reuse && before?.isFile()) {
    const existing = await verifyFileWith(destination, verify, { hashWorkers: context.hashWorkers }).catch(() => undefined);
    if (existing) judged = { stats: before, verdict: existing };
    if (existing?.ok) {
      debug('%s: existing %s verified, nothing to download', target.path, destination);
      const result = resultOf(destination, pathToFileURL(destination).href, 'cache', true, [], existing);
      context.emit({ type: 'done', target: target.path, result });
      return result;
    }
    debug('%s: existing %s does not verify (%s); it is replaced once a new copy verifies', target.path, destination, existing?.error?.code ?? 'unreadable');
  }
  const download = (): Promise<Downloaded> => fetchPackage(target, context, verify, destination, judged, signal);
  if (!context.store) return (await download()).result;
  let result: DownloadResult;
  try {
    result = await throughStore(context.store, {
      target,
      destination,
      verify,
      hashWorkers: context.hashWorkers,
      resultOf: storeResult,
      download,
      signal,
      cacheOnly: options.cacheOnly,
      knownMiss: storeMissed,
      ...(context.downloaded && { downloaded: context.downloaded }),
    });
  } catch (err) {
    if (err instanceof DownloadError && err.code === 'ERR_NOT_CACHED') context.emit({ type: 'failed', target: target.path, error: err });
    throw err;
  }
  if (result.cached === 'store') context.emit({ type: 'done', target: target.path, result });
  return result;
}

/** Fetches a target from the mirrors into its destination; resolves with the file's identity too. */
async function fetchPackage(target: NormalizedTarget, context: PackageContext, verify: VerifyOptions, destination: string, judged: { stats: Stats; verdict: Verdict } | undefined, signal: AbortSignal | undefined): Promise<Downloaded> {
  const { options } = context;
  const spec = { dest: options.dest, fileName: target.fileName, destination, size: target.expectations.size, timeouts: options.fetch.timeouts };
  const { keys, ...verifyData } = verify;
  const transfer: Transfer<PackageFetched> = context.lanes
    ? context.lanes.transfer(extend(spec, { verify: verifyData }), keys)
    : new PackageTransfer(extend(spec, { verify, opener: context.opener, buffers: context.buffers, hashWorkers: context.hashWorkers }));
  try {
    const fetched = await fetchFile(
      {
        label: target.path,
        mirrors: context.mirrors,
        url: (mirror) => (target.url ? mirror.base : mirror.urlOf(target.segments)),
        transfer,
        describe: (value) => `verified ${value.verdict.rpm?.nevra ?? ''} (${value.verdict.size} bytes)`,
      },
      context.fetch,
      signal,
    );
    const result = resultOf(fetched.value.file, fetched.url, fetched.mirror.label, false, fetched.attempts, fetched.value.verdict);
    context.emit({ type: 'done', target: target.path, result });
    return { result, identity: fetched.value.identity };
  } catch (err) {
    if (!(err instanceof DownloadError)) throw err;
    // Whatever is at the destination name was not written by this download: it stays exactly as it
    // is (it may be someone's own file, or a copy another process just put there), and the error says
    // what it is.
    const error = await withExistingFile(err, destination, verify, judged, context.hashWorkers);
    context.emit({ type: 'failed', target: target.path, error });
    throw error;
  }
}

/** The error, carrying the verdict of the file at the destination name when there is one. */
async function withExistingFile(err: DownloadError, destination: string, verify: VerifyOptions, judged: { stats: Stats; verdict: Verdict } | undefined, hashWorkers: HashWorkers): Promise<DownloadError> {
  const now = await stat(destination).catch(() => undefined);
  if (!now?.isFile()) return err;
  const verdict = judged && sameFile(judged.stats, now) ? judged.verdict : await verifyFileWith(destination, verify, { hashWorkers }).catch(() => undefined);
  if (!verdict) return err;
  debug('%s: %s is left as it was (%s)', err.target, destination, verdict.ok ? 'it verifies' : verdict.error?.code);
  return err.withExisting({ file: destination, verdict });
}
