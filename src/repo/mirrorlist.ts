/**
 * A mirrorlist: one repository base per line, `#` comments and blank lines, read by librepo's rule
 * (README, "Metalink and mirrorlist"): a line counts when, trimmed, it contains `://` or starts with
 * `/` (a local path); anything else is junk and skipped. Of those, only http, https and file bases are
 * kept. A mirrorlist URL may answer with a metalink (MirrorManager serves both): such an answer is
 * read as one.
 */
import { pathToFileURL } from 'node:url';
import { MirrorlistError } from '../errors.js';
import { parseMirrorBase } from '../fetch/mirror.js';
import { MAX_DISCOVERED_MIRRORS, METALINK_MAX_BYTES, summarize, unusable, type DroppedUrl } from './metalink.js';

/** A parsed mirrorlist. */
export interface Mirrorlist {
  /** Where it came from (credentials masked). */
  readonly source: string;
  /** Usable repository bases, in the list's order, at most 256. */
  readonly mirrors: readonly string[];
  /** Lines that were URLs but are not used, and why. */
  readonly dropped: readonly DroppedUrl[];
  /** Lines that were neither comments, blank nor URLs. */
  readonly junk: number;
}

/** True when a mirrorlist answer is really a metalink: it starts as XML, or names `<metalink` early. */
export function isMetalinkBody(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1').replace(/^\uFEFF/, '').trimStart();
  return head.startsWith('<?xml') || head.startsWith('<metalink') || head.includes('<metalink');
}

/**
 * Parses a mirrorlist. `localAllowed` admits file: URLs and local paths (only a list read from the
 * local disk may point at it). Throws {@link MirrorlistError} when no usable base is left.
 */
export function parseMirrorlist(bytes: Uint8Array, source: string, localAllowed = false): Mirrorlist {
  if (bytes.length > METALINK_MAX_BYTES) throw new MirrorlistError(source, `the mirrorlist is larger than ${METALINK_MAX_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MirrorlistError(source, 'the mirrorlist is not UTF-8 text');
  }
  const mirrors: string[] = [];
  const dropped: { url: string; reason: string }[] = [];
  const seen = new Set<string>();
  let junk = 0;
  for (const raw of text.split('\n')) {
    // librepo trims spaces and tabs; a CR of a CRLF line end goes too.
    const line = raw.replace(/^[ \t]+|[ \t\r]+$/g, '');
    if (line === '' || line.startsWith('#')) continue;
    if (!line.includes('://') && !line.startsWith('/')) {
      junk++;
      continue;
    }
    const url = line.startsWith('/') ? pathToFileURL(line).href : line;
    const reason = unusable(url, localAllowed);
    if (reason !== undefined) {
      dropped.push({ url: line.slice(0, 200), reason });
      continue;
    }
    const base = parseMirrorBase(url).href;
    if (seen.has(base)) continue;
    seen.add(base);
    if (mirrors.length >= MAX_DISCOVERED_MIRRORS) {
      dropped.push({ url: line, reason: `past the first ${MAX_DISCOVERED_MIRRORS} mirrors` });
      continue;
    }
    mirrors.push(base);
  }
  if (mirrors.length === 0) {
    const parts = [dropped.length > 0 && summarize(dropped), junk > 0 && `${junk} line${junk === 1 ? '' : 's'} that are not URLs`].filter(Boolean);
    throw new MirrorlistError(source, `no http/https/file mirror in mirrorlist ${source}${parts.length > 0 ? ` (${parts.join('; ')})` : ' (it lists no URL)'}`);
  }
  return { source, mirrors, dropped, junk };
}
