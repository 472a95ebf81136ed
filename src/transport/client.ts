/**
 * A small, strict HTTP/1.1 client for downloading from mirrors: GET only, identity coding only,
 * bounded in everything a server controls, with keep-alive pools per route, forward proxies (absolute
 * form and CONNECT), TLS with extra CAs and client certificates, redirects, and timeouts for each
 * phase. It replaces got: the body reaches the caller as views of the buffer its connection reads
 * into, without an allocation or a copy per read.
 *
 * An instance holds no module-level state (it works in worker threads too): it owns its pools, its
 * read buffers, its TLS context and its timers, and close() destroys every socket it opened.
 */
import type { SecureContext } from 'node:tls';
import createDebug from 'debug';
import type { ProxyConfig } from './proxy.js';
import { redactUrl } from './redact.js';
import { openConnection, type ConnectContext } from './connect.js';
import type { Connection } from './connection.js';
import { abortError, TransportError } from './errors.js';
import { Exchange } from './exchange.js';
import { DEFAULT_READ_BUFFER_BYTES, KEEP_ALIVE_IDLE_MS } from './limits.js';
import { ConnectionPool } from './pool.js';
import { Credentials, redirectRefusal, redirectTarget } from './redirect.js';
import { basicAuthorization, checkedHeaders, getRequest, type BasicCredentials } from './request-head.js';
import { HttpResponse } from './response.js';
import { routeFor, type Route } from './route.js';
import { secureContext, type TlsConfig } from './tls-context.js';

const debug = createDebug('rpmfetch:http');

export interface HttpClientOptions {
  /** Forward proxies (resolveProxy in proxy.ts); default: connect directly. */
  readonly proxy?: ProxyConfig;
  readonly tls?: TlsConfig;
  readonly userAgent: string;
  /** Size of the buffer each plain-TCP connection reads into. Default 1 MiB (limits.ts says why). */
  readonly readBufferSize?: number;
  /** How long an idle kept-alive connection is kept, in ms. Default 4000. */
  readonly keepAliveTimeout?: number;
}

export interface RequestTimeouts {
  /** DNS, TCP, TLS and a proxy's CONNECT, for each new connection. */
  readonly connect: number;
  /** From the request written to the final response head, for each request (redirects included). */
  readonly response: number;
  /** No body byte for this long: ERR_STALL (not counted while the consumer holds reading back). */
  readonly idle: number;
}

export interface RequestOptions {
  /** http: or https:; userinfo becomes Basic Authorization, for that origin only. */
  readonly url: URL;
  /**
   * Extra request headers. Framing, connection and coding headers are the client's. Every one but
   * Range is bound to the origin of `url`: a redirect to another origin (scheme, host or port) does
   * not get them, as it does not get credentials; they never go into a proxy's CONNECT.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Basic credentials for the origin of `url` when its userinfo has none; never sent elsewhere. */
  readonly credentials?: BasicCredentials;
  readonly timeouts: RequestTimeouts;
  /** Aborts at any stage, destroying the socket: ERR_ABORTED with the signal's reason as cause. */
  readonly signal?: AbortSignal;
  /** Redirects followed; one more is ERR_REDIRECT_LOOP. */
  readonly maxRedirects: number;
  /** Follow redirects from https to http. */
  readonly allowInsecureRedirects: boolean;
}

/**
 * Caller headers that follow a redirect to another origin: only Range, which is about the bytes asked
 * for wherever they come from. The others (Authorization, Cookie, a CDN's token header) belong to the
 * origin they were given for; curl lets all but Authorization and Cookie through, we are stricter.
 */
const ANY_ORIGIN = new Set(['range']);

function positive(value: number, name: string): void {
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) throw new TypeError(`${name} must be a positive number of ms, got ${String(value)}`);
}

/**
 * Read buffers of closed connections kept for the next ones (a server that closes after every
 * response would otherwise cost a fresh buffer, and its page faults, per request); more are left to
 * the garbage collector.
 */
const MAX_SPARE_BUFFERS = 4;

export class HttpClient implements ConnectContext {
  readonly userAgent: string;
  private readonly readBufferSize: number;
  private readonly spareBuffers: Buffer[] = [];
  private readonly proxy: ProxyConfig;
  private readonly tls: TlsConfig | undefined;
  private tlsContext: SecureContext | undefined;
  private readonly pool: ConnectionPool;
  private readonly connections = new Set<Connection>();
  private closed = false;

  constructor(options: HttpClientOptions) {
    this.userAgent = options.userAgent;
    this.proxy = options.proxy ?? { noProxy: [] };
    this.tls = options.tls;
    this.readBufferSize = options.readBufferSize ?? DEFAULT_READ_BUFFER_BYTES;
    this.pool = new ConnectionPool(options.keepAliveTimeout ?? KEEP_ALIVE_IDLE_MS);
  }

  /** GETs `url`, following redirects; resolves with the final response once its head has arrived. */
  async request(options: RequestOptions): Promise<HttpResponse> {
    const { timeouts, signal } = options;
    positive(timeouts.connect, 'timeouts.connect');
    positive(timeouts.response, 'timeouts.response');
    positive(timeouts.idle, 'timeouts.idle');
    if (options.url.protocol !== 'http:' && options.url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${redactUrl(options.url)}`);
    const fields = checkedHeaders(options.headers);
    let url = options.url;
    let credentials = Credentials.of(url, options.credentials);
    for (let redirects = 0; ; redirects++) {
      const res = await this.send(url, this.hopFields(url, credentials, fields), timeouts, signal);
      const next = redirectTarget(res.status, res.headers.location, url);
      if (!next) return res;
      res.discard();
      const refusal = redirectRefusal(url, next, options.allowInsecureRedirects);
      debug('%s: %d redirect to %s%s', redactUrl(url), res.status, redactUrl(next), refusal ? ` (${refusal})` : '');
      if (refusal) throw new TransportError('ERR_REDIRECT_REFUSED', 'response', refusal, { status: res.status });
      if (redirects >= options.maxRedirects) throw new TransportError('ERR_REDIRECT_LOOP', 'response', `more than ${options.maxRedirects} redirects (the last to ${redactUrl(next)})`, { status: res.status });
      credentials = credentials.after(next);
      url = next;
    }
  }

  /** Destroys every connection, idle or busy; requests in flight fail with ERR_ABORTED. */
  close(): void {
    this.closed = true;
    for (const conn of this.connections) conn.destroy();
  }

  /** Idle connections kept for reuse, and all open ones (for tests and diagnostics). */
  get stats(): { idle: number; open: number } {
    return { idle: this.pool.size, open: this.connections.size };
  }

  // ConnectContext

  secureContext(): SecureContext {
    this.tlsContext ??= secureContext(this.tls);
    return this.tlsContext;
  }

  takeBuffer(): Buffer {
    return this.spareBuffers.pop() ?? Buffer.allocUnsafeSlow(this.readBufferSize);
  }

  returnBuffer(buffer: Buffer): void {
    if (this.spareBuffers.length < MAX_SPARE_BUFFERS) this.spareBuffers.push(buffer);
  }

  release(conn: Connection): void {
    if (this.closed) conn.destroy();
    else this.pool.put(conn);
  }

  forget(conn: Connection): void {
    this.connections.delete(conn);
    this.pool.remove(conn);
  }

  /** The request headers of one hop: ours, the credentials for its origin, the caller's. */
  private hopFields(url: URL, credentials: Credentials, fields: ReadonlyMap<string, string>): Map<string, string> {
    const out = new Map([['user-agent', this.userAgent]]);
    const authorization = credentials.authorizationFor(url);
    if (authorization) out.set('authorization', authorization);
    const sameOrigin = url.origin === credentials.callerOrigin;
    for (const [name, value] of fields) if (sameOrigin || ANY_ORIGIN.has(name)) out.set(name, value);
    return out;
  }

  /** One request on one route: a pooled connection if there is one, retried once on a fresh one if it was stale. */
  private async send(url: URL, fields: Map<string, string>, timeouts: RequestTimeouts, signal: AbortSignal | undefined): Promise<HttpResponse> {
    if (signal?.aborted) throw abortError(signal, 'connect');
    if (this.closed) throw new TransportError('ERR_ABORTED', 'connect', 'the HTTP client is closed');
    const route = routeFor(url, this.proxy);
    const proxyAuthorization = route.proxy && !route.tunnel ? basicAuthorization(route.proxy) : undefined;
    const head = getRequest(url, route.proxy !== undefined && !route.tunnel, proxyAuthorization ? new Map([...fields, ['proxy-authorization', proxyAuthorization]]) : fields);
    if (debug.enabled) debug('GET %s%s%s', redactUrl(url), fields.has('range') ? ` (Range: ${fields.get('range')})` : '', route.proxy ? ` via proxy ${route.proxy.host}` : '');
    for (let fresh = false; ; fresh = true) {
      const conn = (fresh ? undefined : this.pool.take(route.key)) ?? (await this.open(route, timeouts.connect, signal));
      const exchange = new Exchange(conn, route.where, timeouts, signal);
      try {
        const response = await exchange.start(head);
        if (debug.enabled) debug('%s: HTTP %d, %s bytes%s', redactUrl(url), response.status, response.headers['content-length'] ?? 'unknown', conn.exchanges > 1 ? ' (reused connection)' : '');
        return new HttpResponse(response, url, exchange);
      } catch (err) {
        // The keep-alive race: the server closed the idle connection as the request went out.
        if (fresh || !exchange.isStale(err)) throw err;
        debug('%s: the kept-alive connection was closed by the server; retrying on a new one', route.where);
      }
    }
  }

  private async open(route: Route, timeout: number, signal: AbortSignal | undefined): Promise<Connection> {
    const conn = await openConnection(route, this, timeout, signal);
    if (this.closed || !conn.usable) {
      conn.destroy();
      throw this.closed ? new TransportError('ERR_ABORTED', 'connect', 'the HTTP client is closed') : new TransportError('ERR_CONNECTION_RESET', 'connect', `${route.where} closed the connection as soon as it was set up`);
    }
    this.connections.add(conn);
    debug('%s: connected%s', route.where, route.tunnel ? ' (CONNECT tunnel)' : '');
    return conn;
  }
}
