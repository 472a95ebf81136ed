/**
 * Redirects: which responses are followed, where to, which are refused, and whose credentials go
 * along. Credentials belong to the origin they were given for: after a redirect they are sent only
 * back to that origin, unless the Location carries its own.
 */
import { redactUrl } from './redact.js';
import { basicAuthorization, basicValue, type BasicCredentials } from './request-head.js';

/** Statuses whose Location is followed (with GET, the only method we send). 300 and 304 are answers. */
const FOLLOWED = new Set([301, 302, 303, 307, 308]);

/** The URL a response redirects to, or undefined when it is to be returned as it is (no usable Location). */
export function redirectTarget(status: number, location: string | undefined, base: URL): URL | undefined {
  if (!FOLLOWED.has(status) || location === undefined || location === '') return undefined;
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

/** Why a redirect may not be followed, or undefined when it may. */
export function redirectRefusal(from: URL, to: URL, allowInsecure: boolean): string | undefined {
  const scheme = to.protocol;
  if (scheme === 'https:' || (scheme === 'http:' && (from.protocol === 'http:' || allowInsecure))) return undefined;
  // https → http would hand the rest of the exchange to anyone on the path.
  return scheme === 'http:' ? `redirect from https to http refused: ${redactUrl(to)}` : `redirect to another scheme refused: ${scheme}`;
}

/** Authorization headers bound to the origins they were given for. */
export class Credentials {
  private constructor(
    /** From a URL's userinfo: its origin and the header. */
    private readonly basic: { readonly origin: string; readonly value: string } | undefined,
    /** The origin of the first URL, to which the caller's own Authorization and Cookie headers belong. */
    readonly callerOrigin: string,
  ) {}

  /**
   * The credentials of a request's first URL: its userinfo, else `given` (which are for that URL's
   * origin alone, like userinfo). Throws a TypeError for userinfo with a malformed percent-escape.
   */
  static of(url: URL, given?: BasicCredentials): Credentials {
    const value = basicAuthorization(url) ?? (given && basicValue(given));
    return new Credentials(value === undefined ? undefined : { origin: url.origin, value }, url.origin);
  }

  /** The credentials for the hop to `next`: its own userinfo if it has some, else these. */
  after(next: URL): Credentials {
    const value = basicAuthorization(next);
    return value === undefined ? this : new Credentials({ origin: next.origin, value }, this.callerOrigin);
  }

  /** The Authorization value from userinfo for a request to `url`, or undefined. */
  authorizationFor(url: URL): string | undefined {
    return this.basic?.origin === url.origin ? this.basic.value : undefined;
  }
}
