/**
 * URLs as rpmfetch prints them: credentials out. A mirror or proxy may be written
 * `https://user:secret@host/`, and signed or token URLs carry secrets in the query; every URL that
 * reaches an event, a result, an error, a log line or the terminal goes through here first. Requests
 * keep the real URL.
 */

/**
 * Parts of the names of query parameters whose values are secrets: passwords, tokens, and the signed
 * URLs of object stores and CDNs (AWS `X-Amz-Signature`/`-Credential`/`-Security-Token`, Google
 * `X-Goog-Signature`, Azure SAS `sig`, CloudFront `Signature`/`Key-Pair-Id`, Akamai `hdnts`/`hdnea`
 * tokens whose value carries the `hmac`).
 */
const SECRET_NAME = 'pass|pwd|secret|token|key|sig|auth|credential|session|cookie|ticket|hdnts|hdnea|hmac';
const SECRET_PARAM = new RegExp(SECRET_NAME, 'i');
/** `?name=value` (or `&`, `;`) inside free text, for a name with a secret part. */
const SECRET_PARAM_IN_TEXT = new RegExp(`([?&;][^=&\\s#]*(?:${SECRET_NAME})[^=&\\s#]*=)[^&\\s#]*`, 'gi');

const MASK = '***';

/** The URL with userinfo replaced by `***` and secret query values masked; text that is no URL unchanged. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return typeof url === 'string' ? redactText(url) : String(url);
  }
  if (parsed.username || parsed.password) {
    // A token often sits in the user part (https://TOKEN@host/), so nothing of the userinfo is kept.
    parsed.username = MASK;
    parsed.password = '';
  }
  if (parsed.search) {
    const params = new URLSearchParams(parsed.search);
    let changed = false;
    for (const name of new Set(params.keys())) {
      if (SECRET_PARAM.test(name)) {
        params.set(name, MASK);
        changed = true;
      }
    }
    if (changed) parsed.search = params.toString().replaceAll(encodeURIComponent(MASK), MASK);
  }
  return parsed.href;
}

/** URL-like `scheme://user:pass@` runs inside free text (an error message, a header value), masked. */
export function redactText(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, `$1${MASK}@`)
    .replace(SECRET_PARAM_IN_TEXT, `$1${MASK}`);
}
