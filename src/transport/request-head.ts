/**
 * The bytes we send: a GET in origin form (or absolute form to a forward proxy) and CONNECT for
 * tunnels. Caller headers are checked here, so that nothing a caller passes can split a request or
 * change its framing.
 */
import { allValueBytes, isToken } from './syntax.js';

/**
 * Headers the client owns: framing, connection management, the coding we accept (identity only: we
 * never take transformed bytes) and the proxy's credentials.
 */
const RESERVED = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'accept-encoding', 'proxy-authorization', 'proxy-connection']);

function decoded(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new TypeError(`the ${what} in the URL has a malformed percent-escape`);
  }
}

/** A user name and password given apart from any URL (the `username` and `password` options). */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** The Basic Authorization value of a user name and password (UTF-8, as curl sends them). */
export function basicValue(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** Basic credentials from a URL's userinfo (percent-decoded, as curl sends them), or undefined. */
export function basicAuthorization(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  return basicValue({ username: decoded(url.username, 'user name'), password: decoded(url.password, 'password') });
}

/** Caller headers as lower-case name → value; throws a TypeError for any that could not be sent as given. */
export function checkedHeaders(headers: Readonly<Record<string, string>> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    const bytes = Buffer.from(value, 'latin1');
    if (!isToken(Buffer.from(name, 'latin1'), 0, name.length) || RESERVED.has(lower)) throw new TypeError(`header "${name}" cannot be set`);
    if (!allValueBytes(bytes, 0, bytes.length) || /[^\x00-\xff]/.test(value)) throw new TypeError(`header "${name}" has a value that cannot be sent`);
    out.set(lower, value);
  }
  return out;
}

/** `host:port` of a URL, the port always given: CONNECT's target, pool keys, messages. */
export function authority(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** A GET request head. `absolute`: the request goes to a forward proxy (RFC 9112 §3.2.2). */
export function getRequest(url: URL, absolute: boolean, fields: ReadonlyMap<string, string>): string {
  const target = absolute ? `${url.protocol}//${url.host}${url.pathname}${url.search}` : `${url.pathname}${url.search}`;
  let head = `GET ${target} HTTP/1.1\r\nhost: ${url.host}\r\naccept-encoding: identity\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

/** A CONNECT request head for a tunnel to `url`'s origin. */
export function connectRequest(url: URL, fields: ReadonlyMap<string, string>): string {
  const target = authority(url);
  let head = `CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
