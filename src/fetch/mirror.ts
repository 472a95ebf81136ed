/**
 * Mirror base URLs: `http://`, `https://` and `file://` (an NFS-mounted package tree). A target path is
 * appended to each base; its segments are percent-encoded, so a name like `libstdc++` reaches the
 * server as the same name.
 */
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors.js';
import { redactUrl } from './redact.js';
import type { NormalizedTarget } from './target.js';

/** A mirror after validation. */
export interface Mirror {
  /** The base as the caller gave it, credentials masked (see redact.ts); attempts and errors name mirrors this way. */
  readonly label: string;
  /** The base, always ending in `/`. */
  readonly base: URL;
  readonly kind: 'http' | 'file';
}

/** Validates mirror bases; throws {@link InvalidOptionError} for anything but http(s) and file URLs. */
export function normalizeMirrors(bases: readonly (string | URL)[]): Mirror[] {
  return bases.map((b) => {
    const label = redactUrl(String(b));
    let base: URL;
    try {
      base = new URL(label);
    } catch {
      throw new InvalidOptionError(`mirror "${label}" is not a URL (use http://, https:// or file://)`);
    }
    if (!['http:', 'https:', 'file:'].includes(base.protocol)) {
      throw new InvalidOptionError(`mirror "${label}": only http, https and file URLs are supported`);
    }
    if (base.search || base.hash) throw new InvalidOptionError(`mirror "${label}" must not have a query or fragment`);
    if (base.protocol === 'file:') {
      try {
        fileURLToPath(base);
      } catch (err) {
        throw new InvalidOptionError(`mirror "${label}": ${(err as Error).message}`);
      }
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    return { label, base, kind: base.protocol === 'file:' ? 'file' : 'http' };
  });
}

/** Characters that may stand unescaped in a path segment (RFC 3986 pchar minus '%'). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(2B|3A|40|21|24|26|27|28|29|2A|2C|3B|3D)/g, (m) => decodeURIComponent(m));
}

/** The URL of a target on a mirror (the target's own URL when it is absolute). */
export function targetUrl(mirror: Mirror, target: NormalizedTarget): URL {
  if (target.url) return target.url;
  return new URL(target.segments.map(encodeSegment).join('/'), mirror.base);
}

/** The single pseudo-mirror of an absolute-URL target. */
export function mirrorOfUrl(url: URL): Mirror {
  return { label: redactUrl(url), base: url, kind: url.protocol === 'file:' ? 'file' : 'http' };
}
