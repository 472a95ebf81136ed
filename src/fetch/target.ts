/**
 * What to download: a path relative to every mirror (or an absolute URL) and what the caller knows of
 * it. The destination name always comes from the target, never from a server.
 */
import { basename, posix } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { normalizeExpectations, type Expectations } from '../rpm/expectations.js';
import { redactUrl } from '../transport/redact.js';
import { parseMirrorBase } from './mirror.js';
import { NAME_MAX } from './temp-file.js';

/** A package to download. */
export interface Target extends Expectations {
  /** Path relative to each mirror's base (`Packages/b/bash-5.2.26-3.fc40.x86_64.rpm`), or an absolute URL. */
  path: string;
  /**
   * Destination file name (a name, not a path) inside `dest`. Defaults to the last segment of `path`,
   * whose N-V-R.A is then checked against the package's header.
   */
  file?: string;
  /**
   * Mirror bases for this target alone, in order of preference, instead of the Downloader's (`http://`,
   * `https://`, `file://`). Targets naming the same base share its health and connection slots.
   */
  mirrors?: ReadonlyArray<string | URL>;
}

/** A target after validation. */
export interface NormalizedTarget {
  /**
   * The path as given, for messages, events and JSON output; an absolute URL with its credentials
   * masked (see redact.ts).
   */
  readonly path: string;
  /** Set when the target is an absolute URL: it is fetched from there, not from the mirrors. */
  readonly url?: URL;
  /** Path segments to append to a mirror base. */
  readonly segments: readonly string[];
  /** Destination file name. */
  readonly fileName: string;
  readonly expectations: Expectations;
  /** The target's own mirror bases, checked, when it has some. */
  readonly mirrors?: readonly URL[];
}

/** A name safe to create inside the destination directory. */
function assertFileName(name: string, what: string): void {
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || name.includes('\0')) {
    throw new InvalidOptionError(`${what} "${name}" is not a plain file name`);
  }
  // Refused now: the kernel would refuse it only when the verified file is renamed into place.
  const bytes = Buffer.byteLength(name);
  if (bytes > NAME_MAX) throw new InvalidOptionError(`${what} "${name}" is ${bytes} bytes long; file names are limited to ${NAME_MAX} bytes`);
}

/** The decoded segments of a URL's path; a malformed percent-escape is the caller's mistake, not ours. */
function urlSegments(url: URL, path: string): string[] {
  return url.pathname.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new InvalidOptionError(`target URL "${path}": "${s}" has a malformed percent-escape`);
    }
  });
}

/** Validates a target; throws {@link InvalidOptionError} for one that could escape the destination. */
export function normalizeTarget(input: string | Target): NormalizedTarget {
  const target: Target = typeof input === 'string' ? { path: input } : input;
  if (typeof target.path !== 'string' || target.path.trim() === '') throw new InvalidOptionError('a target needs a non-empty path');
  const { path: given, file, mirrors, ...expectations } = target;
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(given);
  // Every message and output names the target this way: a URL's secrets stay in `url`.
  const path = isUrl ? redactUrl(given) : given;
  let url: URL | undefined;
  let segments: string[];
  if (isUrl) {
    try {
      url = new URL(given);
    } catch {
      throw new InvalidOptionError(`target URL "${path}" does not parse`);
    }
    if (!['http:', 'https:', 'file:'].includes(url.protocol)) throw new InvalidOptionError(`target URL "${path}": only http, https and file are supported`);
    segments = urlSegments(url, path);
  } else {
    if (path.startsWith('/')) throw new InvalidOptionError(`target path "${path}" must be relative to the mirrors`);
    segments = path.split('/');
    if (segments.some((s) => s === '..' || s === '.' || s === '' || s.includes('\0'))) {
      throw new InvalidOptionError(`target path "${path}" must not contain empty, "." or ".." segments`);
    }
  }
  normalizeExpectations(expectations); // a malformed checksum fails now, not after a long download
  const fileName = file ?? basename(posix.normalize(segments[segments.length - 1] ?? ''));
  assertFileName(fileName, file !== undefined ? 'target file' : `the last segment of "${path}"`);
  const own = mirrors && mirrors.length > 0 ? mirrors.map((m) => parseMirrorBase(m)) : undefined;
  return { path, segments, fileName, expectations, ...(url && { url }), ...(own && { mirrors: own }) };
}
