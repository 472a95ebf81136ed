/**
 * The `headers`, `username` and `password` options: what every request to a mirror carries, checked
 * once. Values are secrets as far as output goes: no message here quotes one (README, "Credentials
 * and extra headers").
 */
import { InvalidOptionError } from '../errors.js';
import { checkedHeaders, type BasicCredentials } from '../transport/request-head.js';

/** The request settings of a Downloader, checked. */
export interface RequestExtras {
  /** Caller headers, names lower-cased. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly credentials?: BasicCredentials;
}

/**
 * Headers the caller may not set here although the transport would send them: Range is the resume's,
 * the conditional ones would turn a download into a 304 or 412, User-Agent has its own option.
 */
const OWNED_HERE = new Map([
  ['range', 'rpmfetch asks for ranges itself when it resumes'],
  ['if-range', 'conditional requests would change what a mirror answers'],
  ['if-match', 'conditional requests would change what a mirror answers'],
  ['if-none-match', 'conditional requests would change what a mirror answers'],
  ['if-modified-since', 'conditional requests would change what a mirror answers'],
  ['if-unmodified-since', 'conditional requests would change what a mirror answers'],
  ['user-agent', 'use the userAgent option'],
]);

// Control characters: never in a user name or password (a Basic value is base64, but a CR/LF in one
// is a mistake in how it was read, e.g. a password file's line end kept twice).
const CONTROL = /[\x00-\x1f\x7f]/;

function checkHeaders(headers: Readonly<Record<string, string>> | undefined, hasCredentials: boolean): Readonly<Record<string, string>> | undefined {
  if (headers === undefined) return undefined;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw new InvalidOptionError('headers must be an object of header names to values');
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw new InvalidOptionError(`header "${name}": the value must be a string`);
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new InvalidOptionError(`header "${name}" is given twice`);
    seen.add(lower);
    const why = OWNED_HERE.get(lower);
    if (why) throw new InvalidOptionError(`header "${name}" cannot be set: ${why}`);
    if (lower === 'authorization' && hasCredentials) throw new InvalidOptionError('an Authorization header and username/password cannot go together');
  }
  let checked: Map<string, string>;
  try {
    checked = checkedHeaders(headers);
  } catch (err) {
    // The transport's message names the header, never its value.
    throw new InvalidOptionError(`${(err as Error).message} (header names are tokens; values have no CR, LF or other control characters; the transport's own framing and connection headers cannot be set)`);
  }
  return checked.size === 0 ? undefined : Object.fromEntries(checked);
}

function checkCredentials(username: string | undefined, password: string | undefined): BasicCredentials | undefined {
  if (username === undefined && password === undefined) return undefined;
  if (typeof username !== 'string' || username === '') throw new InvalidOptionError('password needs a username');
  if (password !== undefined && typeof password !== 'string') throw new InvalidOptionError('password must be a string');
  // RFC 7617: the first colon ends the user name.
  if (username.includes(':')) throw new InvalidOptionError('username must not contain ":"');
  if (CONTROL.test(username)) throw new InvalidOptionError('username has a control character');
  if (password !== undefined && CONTROL.test(password)) throw new InvalidOptionError('password has a control character (a line end?)');
  return { username, password: password ?? '' };
}

/** Checks the options; throws {@link InvalidOptionError} without quoting any value. */
export function resolveRequestExtras(o: { headers?: Readonly<Record<string, string>>; username?: string; password?: string }): RequestExtras {
  const credentials = checkCredentials(o.username, o.password);
  const headers = checkHeaders(o.headers, credentials !== undefined);
  return { ...(headers && { headers }), ...(credentials && { credentials }) };
}
