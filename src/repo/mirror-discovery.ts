/**
 * A repository's mirrors found at run time: a metalink or a mirrorlist is fetched through the same
 * attempt runner as metadata (retries, backoff, stall detection; its URL is its own single mirror),
 * held to {@link METALINK_MAX_BYTES}, and parsed before anything of it is used. A content failure
 * (HTML, malformed XML, nothing usable) ends the attempts at once: asking again would get the same.
 */
import { DownloadError, MetalinkError, MirrorlistError, type Attempt } from '../errors.js';
import { normalizeTarget } from '../fetch/target.js';
import { fetchMetadata, wholeFile, type MetadataContext } from './metadata-fetch.js';
import { METALINK_MAX_BYTES, parseMetalink, type Metalink } from './metalink.js';
import { isMetalinkBody, parseMirrorlist, type Mirrorlist } from './mirrorlist.js';
import type { RepomdExpectation } from './repomd-expectation.js';

/** Where a repository's mirrors come from. */
export interface MirrorSource {
  /** A metalink URL (http, https or file). */
  readonly metalink?: string;
  /** A mirrorlist URL; an answer that is a metalink is read as one. */
  readonly mirrorlist?: string;
}

/** The mirrors found, what repomd.xml must be (from a metalink), and the requests made. */
export interface DiscoveredMirrors {
  /** Repository bases, in order of preference. */
  readonly bases: readonly string[];
  /** Set when the mirrors came from a metalink: repomd.xml must match it. */
  readonly expectation?: RepomdExpectation;
  readonly metalink?: Metalink;
  readonly mirrorlist?: Mirrorlist;
  readonly attempts: readonly Attempt[];
}

/** Fetches one list file; its parse happens in the sink, so that a bad one fails its attempt. */
async function fetchList<T>(url: string, parse: (bytes: Buffer, source: string, local: boolean) => T, context: MetadataContext, signal: AbortSignal | undefined, refuse: (source: string, summary: string, attempts: readonly Attempt[], cause: unknown) => DownloadError): Promise<{ value: T; attempts: readonly Attempt[] }> {
  // The list names itself by its URL; its last segment ("metalink", "mirrorlist") is no file name.
  const target = normalizeTarget({ path: url, file: 'mirror-list' });
  const local = target.url?.protocol === 'file:';
  try {
    const fetched = await fetchMetadata({ target, expect: { maxBytes: METALINK_MAX_BYTES }, decompress: false, sink: wholeFile((bytes) => parse(bytes, target.path, local)) }, context, signal);
    return { value: fetched.value, attempts: fetched.attempts };
  } catch (err) {
    if (!(err instanceof DownloadError)) throw err;
    const last = err.attempts[err.attempts.length - 1];
    // The parse's own error, with every attempt at the file.
    if (last && (last.code === 'ERR_METALINK' || last.code === 'ERR_MIRRORLIST')) throw refuse(target.path, last.cause.replace(`${target.path}: `, ''), err.attempts, err);
    throw err;
  }
}

/** Fetches and parses a metalink; rejects with {@link MetalinkError} (or a `DownloadError` when it could not be fetched). */
export async function fetchMetalink(url: string, context: MetadataContext, signal?: AbortSignal): Promise<{ metalink: Metalink; attempts: readonly Attempt[] }> {
  const { value, attempts } = await fetchList(url, parseMetalink, context, signal, (source, summary, a, cause) => new MetalinkError(source, summary, a, { cause }));
  return { metalink: value, attempts };
}

/**
 * Fetches and parses a mirrorlist, or the metalink it answers with; rejects with {@link MirrorlistError}
 * or {@link MetalinkError} (or a `DownloadError` when it could not be fetched).
 */
export async function fetchMirrorlist(url: string, context: MetadataContext, signal?: AbortSignal): Promise<{ mirrorlist?: Mirrorlist; metalink?: Metalink; attempts: readonly Attempt[] }> {
  const parse = (bytes: Buffer, source: string, local: boolean): { mirrorlist?: Mirrorlist; metalink?: Metalink } =>
    isMetalinkBody(bytes) ? { metalink: parseMetalink(bytes, source, local) } : { mirrorlist: parseMirrorlist(bytes, source, local) };
  const { value, attempts } = await fetchList(url, parse, context, signal, (source, summary, a, cause) => (a[a.length - 1]?.code === 'ERR_METALINK' ? new MetalinkError(source, summary, a, { cause }) : new MirrorlistError(source, summary, a, { cause })));
  return { ...value, attempts };
}

/** The mirrors of a source (a metalink wins over a mirrorlist, as in dnf), and the expectation a metalink gives. */
export async function discoverMirrors(source: MirrorSource, context: MetadataContext, signal?: AbortSignal): Promise<DiscoveredMirrors> {
  let metalink: Metalink | undefined;
  let mirrorlist: Mirrorlist | undefined;
  let attempts: readonly Attempt[];
  if (source.metalink !== undefined) ({ metalink, attempts } = await fetchMetalink(source.metalink, context, signal));
  else if (source.mirrorlist !== undefined) ({ metalink, mirrorlist, attempts } = await fetchMirrorlist(source.mirrorlist, context, signal));
  else return { bases: [], attempts: [] };
  if (metalink) {
    return { bases: metalink.mirrors.map((m) => m.base), metalink, expectation: { source: metalink.source, versions: [metalink.repomd, ...metalink.alternates] }, attempts };
  }
  return { bases: mirrorlist?.mirrors ?? [], ...(mirrorlist && { mirrorlist }), attempts };
}
