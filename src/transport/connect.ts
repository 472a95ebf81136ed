/**
 * Opening a connection for a route: TCP (DNS included), TLS, and through a proxy the TCP (or TLS)
 * connection to the proxy, the CONNECT tunnel and TLS inside it. One connect timeout covers every
 * step; the caller's signal aborts any of them; either destroys every socket opened so far.
 *
 * Plain TCP and direct TLS sockets read into a buffer of their connection (`onread`); Node 20 honours
 * `onread` in tls.connect for a socket it creates itself, but drops it when wrapping an existing one,
 * so a tunnelled TLS connection reads through 'data' events (one allocation per TLS record).
 */
import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { connect as nodeTlsConnect, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import { abortError, fromSocketError, TransportError } from './errors.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { ResponseParser } from './parser.js';
import { basicAuthorization, connectRequest } from './request-head.js';
import { viaProxy, type Route } from './route.js';
import { excerpt } from './syntax.js';

/** What connecting needs from the client. */
export interface ConnectContext extends ConnectionOwner {
  /** The client's TLS context (built on first use). */
  secureContext(): SecureContext;
  readonly userAgent: string;
}

/** tls.connect documents `onread` (honoured without `socket`); @types/node 20 does not declare it. */
const tlsConnect = nodeTlsConnect as (options: ConnectionOptions & { onread?: OnReadOpts }) => TLSSocket;

/** Host and port to connect to; IPv6 literals without their brackets. */
function endpoint(url: URL): { host: string; port: number } {
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
}

/** TLS options for a server: SNI with its name (never an IP address: RFC 6066), ALPN HTTP/1.1 only. */
function tlsOptions(url: URL, ctx: ConnectContext): { host: string; servername?: string; secureContext: SecureContext; ALPNProtocols: string[] } {
  const { host } = endpoint(url);
  return { host, ...(isIP(host) === 0 && { servername: host }), secureContext: ctx.secureContext(), ALPNProtocols: ['http/1.1'] };
}

/** Resolves when `socket` emits `event`; rejects on an error or a close before it. */
function ready(socket: Socket, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown): void => {
      socket.off(event, onReady).off('error', done).off('close', onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onReady = (): void => done();
    const onClose = (): void => done(Object.assign(new Error('the connection closed while it was being set up'), { code: 'ECONNRESET' }));
    socket.once(event, onReady).once('error', done).once('close', onClose);
  });
}

/** Sets up a connection step by step; `track` registers each socket so that a timeout or abort can destroy it. */
class Opening {
  step = 'connecting';
  readonly sockets: Socket[] = [];

  constructor(
    readonly conn: Connection,
    private readonly ctx: ConnectContext,
  ) {}

  private track<T extends Socket>(socket: T): T {
    // Errors are handled by `ready` during setup and by the connection afterwards; this one only
    // keeps an error in between from being an uncaught 'error' event.
    socket.on('error', () => {});
    this.sockets.push(socket);
    return socket;
  }

  /** A TCP or TLS socket to `url`'s host (TLS for https:); `withOnread`: it reads into the connection's buffer. */
  private socketTo(url: URL, withOnread: boolean): Socket {
    const tls = url.protocol === 'https:';
    const options = { ...endpoint(url), ...(withOnread && { onread: this.conn.onread(tls) }) };
    return this.track(tls ? tlsConnect({ ...options, ...tlsOptions(url, this.ctx) }) : netConnect({ ...options, noDelay: true }));
  }

  async run(): Promise<void> {
    const { route } = this.conn;
    // Directly to the origin, or to the proxy; a tunnel's first socket is wrapped later, without onread.
    const first = route.proxy ?? route.origin;
    const socket = this.socketTo(first, !route.tunnel);
    await this.stage(socket, first.protocol === 'https:' ? 'secureConnect' : 'connect', route.where, route.proxy);
    if (!route.proxy || !route.tunnel) {
      this.conn.attach(socket, false);
      return;
    }
    this.step = 'CONNECT';
    await this.tunnel(socket, route.origin, route.proxy);
    const tunnelled = this.track(tlsConnect({ socket, ...tlsOptions(route.origin, this.ctx) }));
    await this.stage(tunnelled, 'secureConnect', route.where);
    this.conn.attach(tunnelled, true);
  }

  /** Waits for one step; a failure to reach `proxy` is ERR_PROXY, others are the route's. Both name the proxy. */
  private async stage(socket: Socket, event: 'connect' | 'secureConnect', where: string, proxy?: URL): Promise<void> {
    this.step = event === 'connect' ? 'connecting' : 'TLS handshake';
    try {
      await ready(socket, event);
    } catch (err) {
      if (!proxy) throw fromSocketError(err, 'connect', where);
      throw new TransportError('ERR_PROXY', 'connect', `${fromSocketError(err, 'connect', 'the proxy').message} (${viaProxy(proxy)})`, { cause: err });
    }
  }

  /** Asks the proxy for a tunnel to `origin`; resolves once it answered 2xx. */
  private tunnel(socket: Socket, origin: URL, proxy: URL): Promise<void> {
    const fields = new Map([['user-agent', this.ctx.userAgent]]);
    const auth = basicAuthorization(proxy);
    if (auth) fields.set('proxy-authorization', auth);
    const via = viaProxy(proxy);
    const refused = (message: string, status?: number): TransportError => new TransportError('ERR_PROXY', 'connect', `${message} (${via})`, status === undefined ? {} : { status });
    // The answer has no body whatever it says (RFC 9110 §9.3.6); only its head is read.
    const parser = new ResponseParser(true);
    return new Promise((resolve, reject) => {
      const done = (err?: TransportError): void => {
        socket.off('data', onData).off('end', onEnd).off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onData = (chunk: Buffer): void => {
        let pos: number;
        try {
          pos = parser.execute(chunk, 0, chunk.length);
        } catch (err) {
          return done(refused(`the proxy's answer to CONNECT is not HTTP/1.x: ${(err as Error).message}`));
        }
        const head = parser.head;
        if (!head) return;
        if (head.status < 200 || head.status > 299) return done(refused(`the proxy refused the tunnel to ${origin.host}: HTTP ${head.status}${head.statusText ? ` ${head.statusText}` : ''}`, head.status));
        if (pos < chunk.length) return done(refused(`the proxy sent bytes before the tunnel was up: "${excerpt(chunk, pos, chunk.length)}"`));
        done();
      };
      const onEnd = (): void => done(refused('the proxy closed the connection before answering CONNECT'));
      const onError = (err: unknown): void => done(refused(`the connection to the proxy failed during CONNECT: ${fromSocketError(err, 'connect', via).message}`));
      socket.on('data', onData).once('end', onEnd).once('error', onError);
      socket.write(connectRequest(origin, fields), 'latin1');
    });
  }
}

/** A connected {@link Connection} for `route`, within `timeout` ms, unless `signal` aborts first. */
export function openConnection(route: Route, ctx: ConnectContext, timeout: number, signal: AbortSignal | undefined): Promise<Connection> {
  const opening = new Opening(new Connection(route, ctx), ctx);
  let settled = false;
  return new Promise((resolve, reject) => {
    const finish = (err: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) return resolve(opening.conn);
      for (const s of opening.sockets) s.destroy();
      reject(err);
    };
    const onAbort = (): void => finish(abortError(signal as AbortSignal, 'connect'));
    const timer = setTimeout(() => finish(new TransportError('ERR_CONNECT_TIMEOUT', 'connect', `no connection to ${route.where} within ${timeout} ms (${opening.step})`)), timeout);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);
    opening.run().then(() => finish(undefined), finish);
  });
}
