/**
 * Where a package lives, as repository metadata says (`<location href>`, `xml:base`), turned into a
 * download target. Metadata comes from mirrors, so a location is input to distrust: one that could
 * escape the destination or the repository (absolute, `..`, a scheme, control characters, odd names)
 * is refused with `ERR_UNSAFE_LOCATION` rather than cleaned up.
 */
import { RepoError } from '../errors.js';

/** Characters allowed in a path segment of a location: those of real package trees. */
const SEGMENT = /^[A-Za-z0-9._+~^@=,-]+$/;

/** A checked location: the path to ask each mirror for (or an absolute URL), and the file name to write. */
export interface PackageLocation {
  readonly path: string;
  readonly fileName: string;
}

/**
 * Checks a location from repository metadata and returns where to fetch it; throws a plain Error
 * saying why it is refused. An `xml:base` may point to http(s), and to file: only when the
 * repository's own mirrors are file: (`mirrorsAreFiles`): a remote repository must not make us read
 * local files. `rpm`: the file must be a package (`.rpm`).
 */
export function locate(href: string, base: string | undefined, mirrorsAreFiles: boolean, rpm: boolean): PackageLocation {
  const refuse = (why: string): never => {
    throw new Error(`"${href}"${base !== undefined ? ` (xml:base "${base}")` : ''}: ${why}`);
  };
  if (href.length === 0) refuse('an empty location');
  if (/[\0-\x1f\x7f\\]/.test(href)) refuse('control characters or backslashes');
  if (href.startsWith('/')) refuse('an absolute path');
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) refuse('a URL where a relative path belongs');
  // Some repository tools percent-encode locations (libstdc%2B%2B): the rules apply to what the
  // segments decode to, so %2e%2e is "..", and an encoded "/" is an odd character.
  const segments = href.split('/').map((raw) => {
    try {
      return raw.includes('%') ? decodeURIComponent(raw) : raw;
    } catch {
      return refuse(`the segment "${raw}" is not valid percent-encoding`);
    }
  });
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') refuse('empty, "." or ".." path segments');
    if (!SEGMENT.test(s)) refuse(`the segment "${s}" has characters outside A-Z a-z 0-9 . _ + ~ ^ @ = , -`);
  }
  const fileName = segments[segments.length - 1] as string;
  if (fileName.startsWith('.') || fileName.startsWith('-')) refuse('a file name starting with "." or "-"');
  if (rpm && !fileName.endsWith('.rpm')) refuse('a file name not ending in .rpm');
  if (base === undefined || base === '') return { path: segments.join('/'), fileName };
  let url: URL;
  try {
    url = new URL(base.endsWith('/') ? base : `${base}/`);
  } catch {
    return refuse('an xml:base that is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && !(url.protocol === 'file:' && mirrorsAreFiles)) {
    refuse(`an xml:base with scheme ${url.protocol} (only http and https${mirrorsAreFiles ? ', and file' : ''})`);
  }
  if (url.search || url.hash || url.username || url.password) refuse('an xml:base with a query, fragment or credentials');
  return { path: new URL(segments.map(encodeURIComponent).join('/'), url).href, fileName };
}

/** {@link locate} for the package a query resolved to: a refusal is `ERR_UNSAFE_LOCATION`. */
export function packageLocation(query: string, href: string, base: string | undefined, mirrorsAreFiles: boolean): PackageLocation {
  try {
    return locate(href, base, mirrorsAreFiles, true);
  } catch (err) {
    throw new RepoError('ERR_UNSAFE_LOCATION', query, `${query}: the repository places it at ${(err as Error).message}`);
  }
}
