/**
 * MirrorManager's metalink (metalink 3.0 XML with its `mm0:` extensions): the mirrors of one
 * repository and what repomd.xml must be. Of the document only the `<file name="repomd.xml">` entry is
 * read: its size, hashes and timestamp, its `mm0:alternates` (recent versions of repomd.xml that
 * mirrors may still serve), and its `<resources>` URLs. A metalink comes from a server that is as much
 * an adversary as a mirror, so it is held to a size, read by the bounded scanner (no DOCTYPE, no
 * entities beyond XML's own), and refused when it could protect nothing (README, "Metalink and
 * mirrorlist").
 */
import { MetalinkError, RpmfetchError } from '../errors.js';
import { parseMirrorBase } from '../fetch/mirror.js';
import { XmlScanner } from './xml-scanner.js';

/** A URL of a metalink or mirrorlist that is not used, and why. */
export interface DroppedUrl {
  /** The URL as listed (at most 200 characters of it). */
  readonly url: string;
  /** Why it is not used (`rsync is not fetched`, `listed twice`, …). */
  readonly reason: string;
}

/** Hash types of a metalink, weakest first (the order librepo ranks them in). */
export const METALINK_HASH_TYPES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
/** A hash type a metalink may give for repomd.xml (others are ignored). */
export type MetalinkHashType = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

const HEX_LENGTH: Record<MetalinkHashType, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/** The largest metalink (or mirrorlist) read: Fedora's are 20–40 kB. */
export const METALINK_MAX_BYTES = 4 * 1024 * 1024;
/** Mirrors kept from one metalink or mirrorlist, in order of preference; the rest are left out. */
export const MAX_DISCOVERED_MIRRORS = 256;
/** Alternates kept from one metalink, in document order; MirrorManager lists a handful. */
export const MAX_ALTERNATES = 64;
/** A `<url>` longer than this is dropped: no mirror base needs it. */
export const MAX_URL_LENGTH = 4096;

/** One version of repomd.xml as a metalink describes it. */
export interface RepomdVersion {
  /** `mm0:timestamp`: when MirrorManager saw this version (seconds since 1970), when stated. */
  readonly timestamp?: number;
  /** Exact size in bytes, when stated. */
  readonly size?: number;
  /** Hex digests by type (lowercase); only the types above, each checked for its length. */
  readonly hashes: Readonly<Partial<Record<MetalinkHashType, string>>>;
}

/** A mirror a metalink lists. */
export interface MetalinkMirror {
  /** The `<url>` as written. */
  readonly url: string;
  /** The repository base: the URL without its trailing `repodata/repomd.xml`. */
  readonly base: string;
  /** The `protocol` attribute, when present (the URL's own scheme decides what is kept). */
  readonly protocol?: string;
  /** The `location` attribute (a country code), when present. */
  readonly location?: string;
  /** `preference`, 0–100 (0 when absent or out of range, as librepo reads it). */
  readonly preference: number;
}

/** A parsed metalink. */
export interface Metalink {
  /** Where it came from (credentials masked), for messages. */
  readonly source: string;
  /** The current repomd.xml. */
  readonly repomd: RepomdVersion;
  /** Older versions mirrors may still serve, each acceptable as well. */
  readonly alternates: readonly RepomdVersion[];
  /** Usable mirrors, highest preference first (document order among equals), at most 256. */
  readonly mirrors: readonly MetalinkMirror[];
  /** URLs left out, and why (rsync, ftp, unknown schemes, malformed, duplicates, past the cap). */
  readonly dropped: readonly DroppedUrl[];
}

/** What is suffixed to a mirror's repository base in a metalink's `<url>`s. */
const REPOMD_SUFFIX = 'repodata/repomd.xml';

interface VersionDraft {
  timestamp?: string;
  size?: string;
  hashes: { type: string; hex: string }[];
}

interface UrlDraft {
  text: string;
  protocol?: string;
  location?: string;
  preference: number;
}

/** True when the bytes start like an HTML page (a portal, an error page) rather than XML. */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 512)).toString('latin1').replace(/^\uFEFF?\s+/, '').toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || (!head.startsWith('<?xml') && /<(?:head|body)[\s>]/.test(head));
}

/**
 * Parses a metalink. `source` names it in errors (credentials masked); `localAllowed` lets file: URLs
 * through (only a metalink read from the local disk may point at the local disk). Throws
 * {@link MetalinkError} for anything unusable.
 */
export function parseMetalink(bytes: Uint8Array, source: string, localAllowed = false): Metalink {
  if (bytes.length > METALINK_MAX_BYTES) throw new MetalinkError(source, `the metalink is larger than ${METALINK_MAX_BYTES} bytes`);
  if (looksLikeHtml(bytes)) throw new MetalinkError(source, 'an HTML page, not a metalink (an error page or a captive portal?)');
  const stack: string[] = [];
  let text = '';
  let inWanted = false;
  let found = false;
  let main: VersionDraft | undefined;
  const alternates: VersionDraft[] = [];
  let alternate: VersionDraft | undefined;
  let hashType: string | undefined;
  let url: UrlDraft | undefined;
  const urls: UrlDraft[] = [];
  let alternatesSeen = 0;
  const scanner: XmlScanner = new XmlScanner(source, {
    wantsText: () => inWanted,
    open(name, attributesOf) {
      stack.push(name);
      text = '';
      const depth = stack.length;
      if (depth === 1 && name !== 'metalink') throw scanner.fail(`the root element is <${name}>, not <metalink>`);
      if (depth === 3 && name === 'file' && stack[1] === 'files') {
        // The first entry named repomd.xml is the one read, as librepo reads it.
        inWanted = !found && attributesOf().name === 'repomd.xml';
        if (inWanted) {
          found = true;
          main = { hashes: [] };
        }
        return;
      }
      if (!inWanted) return;
      const at = stack.slice(3).join('/');
      if (at === 'alternates/alternate') {
        alternatesSeen++;
        alternate = { hashes: [] };
      } else if (at === 'verification/hash' || at === 'alternates/alternate/verification/hash') {
        hashType = attributesOf().type;
      } else if (at === 'resources/url') {
        const a = attributesOf();
        url = { text: '', preference: preferenceOf(a.preference) };
        if (a.protocol !== undefined) url.protocol = a.protocol;
        if (a.location !== undefined) url.location = a.location;
      }
    },
    text(t) {
      // Bounded by the metalink's size; a <url> is also checked for length when it ends.
      text += t;
    },
    close() {
      const depth = stack.length;
      const at = stack.slice(3).join('/');
      stack.pop();
      if (!inWanted) return;
      const draft = at.startsWith('alternates/alternate/') ? alternate : main;
      if (depth === 3) inWanted = false;
      else if (at === 'timestamp' || at === 'alternates/alternate/timestamp') {
        if (draft) draft.timestamp = text;
      } else if (at === 'size' || at === 'alternates/alternate/size') {
        if (draft) draft.size = text;
      } else if (at === 'verification/hash' || at === 'alternates/alternate/verification/hash') {
        if (draft && hashType !== undefined) draft.hashes.push({ type: hashType, hex: text });
        hashType = undefined;
      } else if (at === 'alternates/alternate') {
        if (alternate && alternates.length < MAX_ALTERNATES) alternates.push(alternate);
        alternate = undefined;
      } else if (at === 'resources/url' && url) {
        url.text = text.trim();
        urls.push(url);
        url = undefined;
      }
      text = '';
    },
  });
  try {
    scanner.write(bytes);
    scanner.end();
  } catch (err) {
    if (err instanceof RpmfetchError) throw new MetalinkError(source, `not a well-formed metalink: ${err.message.replace(`${source}: `, '')}`, [], { cause: err });
    throw err;
  }
  if (!found || !main) throw new MetalinkError(source, 'the metalink has no entry for repomd.xml');
  const repomd = version(main, source, 'repomd.xml');
  if (Object.keys(repomd.hashes).length === 0) throw new MetalinkError(source, 'the metalink gives no hash of repomd.xml that could be checked (md5, sha1, sha224, sha256, sha384 or sha512): it could not protect anything');
  const kept = alternates.map((a, i) => version(a, source, `alternate ${i + 1} of repomd.xml`)).filter((a) => Object.keys(a.hashes).length > 0);
  const { mirrors, dropped } = usableMirrors(urls, localAllowed);
  if (alternatesSeen > MAX_ALTERNATES) dropped.push({ url: '', reason: `${alternatesSeen - MAX_ALTERNATES} alternates past the first ${MAX_ALTERNATES} ignored` });
  if (mirrors.length === 0) {
    const why = urls.length === 0 ? 'it lists no URL' : `of its ${urls.length} URLs none is usable: ${summarize(dropped)}`;
    throw new MetalinkError(source, `no http/https/file mirror in metalink ${source} (${why})`);
  }
  return { source, repomd, alternates: kept, mirrors, dropped };
}

/** librepo's reading of `preference`: an integer 0–100; anything else counts as 0. */
function preferenceOf(value: string | undefined): number {
  if (value === undefined) return 0;
  const t = value.trim();
  if (!/^[+-]?\d{1,9}$/.test(t)) return 0;
  const n = Number(t);
  return n >= 0 && n <= 100 ? n : 0;
}

function count(text: string | undefined, what: string, source: string): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^\d{1,15}$/.test(t)) throw new MetalinkError(source, `${what} "${t.slice(0, 40)}" is not a whole number`);
  return Number(t);
}

/** A version's hashes of known types, each checked for its length; unknown types are ignored. */
function version(draft: VersionDraft, source: string, what: string): RepomdVersion {
  const hashes: Partial<Record<MetalinkHashType, string>> = {};
  for (const { type, hex } of draft.hashes) {
    const t = type.trim().toLowerCase();
    if (!(METALINK_HASH_TYPES as readonly string[]).includes(t)) continue;
    const value = hex.trim().toLowerCase();
    const length = HEX_LENGTH[t as MetalinkHashType];
    if (value.length !== length || !/^[0-9a-f]+$/.test(value)) throw new MetalinkError(source, `the ${t} hash of ${what} is not ${length} hex digits`);
    hashes[t as MetalinkHashType] = value;
  }
  const timestamp = count(draft.timestamp, `the timestamp of ${what}`, source);
  const size = count(draft.size, `the size of ${what}`, source);
  return { hashes, ...(timestamp !== undefined && { timestamp }), ...(size !== undefined && { size }) };
}

/**
 * The repository base of a listed URL: without its `repodata/repomd.xml`. A URL not ending so is used
 * as the base as it stands, as librepo does (it strips the suffix only where present).
 */
export function baseOfMetalinkUrl(url: string): string {
  return url.endsWith(REPOMD_SUFFIX) ? url.slice(0, -REPOMD_SUFFIX.length) : url;
}

/**
 * The URLs a mirror may be taken from (its own scheme decides, as librepo's does; the `protocol`
 * attribute is only reported), highest preference first, stable among equals; at most
 * {@link MAX_DISCOVERED_MIRRORS}.
 */
function usableMirrors(urls: readonly UrlDraft[], localAllowed: boolean): { mirrors: MetalinkMirror[]; dropped: { url: string; reason: string }[] } {
  const dropped: { url: string; reason: string }[] = [];
  const candidates: MetalinkMirror[] = [];
  const seen = new Set<string>();
  for (const u of urls) {
    const reason = unusable(u.text, localAllowed);
    if (reason !== undefined) {
      dropped.push({ url: u.text.slice(0, 200), reason });
      continue;
    }
    const base = parseMirrorBase(baseOfMetalinkUrl(u.text)).href;
    if (seen.has(base)) {
      dropped.push({ url: u.text, reason: 'listed twice' });
      continue;
    }
    seen.add(base);
    candidates.push({ url: u.text, base, preference: u.preference, ...(u.protocol !== undefined && { protocol: u.protocol }), ...(u.location !== undefined && { location: u.location }) });
  }
  // Array.prototype.sort is stable: equal preferences keep the metalink's order.
  candidates.sort((a, b) => b.preference - a.preference);
  for (const c of candidates.slice(MAX_DISCOVERED_MIRRORS)) dropped.push({ url: c.url, reason: `past the first ${MAX_DISCOVERED_MIRRORS} mirrors` });
  return { mirrors: candidates.slice(0, MAX_DISCOVERED_MIRRORS), dropped };
}

/** Why a listed URL cannot be a mirror here, or undefined when it can. */
export function unusable(url: string, localAllowed: boolean): string | undefined {
  if (url === '') return 'empty';
  if (url.length > MAX_URL_LENGTH) return `longer than ${MAX_URL_LENGTH} characters`;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return 'not a URL';
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'file') return `${scheme} is not supported (only http, https and file)`;
  if (scheme === 'file' && !localAllowed) return 'a file URL from a list that is not itself local';
  try {
    parseMirrorBase(baseOfMetalinkUrl(url));
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** The reasons URLs were dropped, counted: "3 × rsync is not supported …". */
export function summarize(dropped: readonly { reason: string }[]): string {
  const counts = new Map<string, number>();
  for (const d of dropped) counts.set(d.reason, (counts.get(d.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => (n > 1 ? `${n} × ${reason}` : reason)).join('; ');
}
