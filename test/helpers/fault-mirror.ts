/**
 * A fault-injecting HTTP mirror: serves files from memory with Range support, and on request misbehaves
 * the ways real mirrors and proxies do (hangs, stalls, drips, cut-off bodies, lying headers, wrong bytes,
 * error statuses, Retry-After, ignored or wrong ranges, redirect loops, resets). Each request is logged
 * so that tests can assert what was asked.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

/** What the handler sees of one request. */
export interface FaultContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The file's bytes (undefined when the path is unknown). */
  body: Buffer | undefined;
  /** Start of an open-ended `Range: bytes=N-` request. */
  rangeStart: number | undefined;
  /** How many requests this path has had, this one included. */
  count: number;
  /** Serves the file normally (200, or 206 for a Range request). */
  serve(body?: Buffer): void;
}

export type Fault = (ctx: FaultContext) => void;

export interface LoggedRequest {
  path: string;
  /** The query as sent, `?` included ('' for none). */
  search: string;
  /** Every request header, names lower-cased. */
  headers: IncomingMessage['headers'];
  range: string | undefined;
  status?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultMirror {
  readonly files = new Map<string, Buffer>();
  readonly log: LoggedRequest[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private readonly counts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  url = '';
  /** TCP connections accepted so far. */
  connections = 0;
  /** Requests being answered right now, and the most seen at once. */
  active = 0;
  maxActive = 0;

  /** Faults for a path (or '*' for all), applied to successive requests; afterwards it serves normally. */
  fault(path: string, ...faults: Fault[]): this {
    this.faults.set(path, faults);
    return this;
  }

  /** A fault for every request to the path, forever. */
  always(path: string, fault: Fault): this {
    this.faults.set(path, new Array(1000).fill(fault));
    return this;
  }

  /** Listens on `port` (default: a free one; pass the old port to come back after {@link stop}). */
  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    this.server.on('connection', (s) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  /** The port it listens on. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Stops listening and drops every connection (a dead mirror); {@link start} with the port revives it. */
  async stop(): Promise<void> {
    await this.close();
  }

  requestsFor(path: string): LoggedRequest[] {
    return this.log.filter((r) => r.path === path);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const requested = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(requested.pathname.slice(1));
    const count = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, count);
    const entry: LoggedRequest = { path, search: requested.search, headers: req.headers, range: req.headers.range };
    this.log.push(entry);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    res.once('close', () => this.active--);
    const originalWriteHead = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      entry.status = status;
      return (originalWriteHead as (...a: unknown[]) => ServerResponse)(status, ...rest);
    }) as typeof res.writeHead;
    const body = this.files.get(path);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ctx: FaultContext = {
      req,
      res,
      body,
      rangeStart: range ? Number(range[1]) : undefined,
      count,
      serve: (b = body) => serve(ctx, b),
    };
    const list = this.faults.get(path) ?? this.faults.get('*') ?? [];
    const fault = list[count - 1];
    if (fault) fault(ctx);
    else ctx.serve();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) {
      this.server.close();
      await once(this.server, 'close').catch(() => {});
    }
  }
}

function serve(ctx: FaultContext, body: Buffer | undefined): void {
  const { res, rangeStart } = ctx;
  if (!body) {
    res.writeHead(404, { 'content-length': '0' }).end();
    return;
  }
  if (rangeStart !== undefined) {
    if (rangeStart >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}`, 'content-length': '0' }).end();
      return;
    }
    res.writeHead(206, { 'content-length': String(body.length - rangeStart), 'content-range': `bytes ${rangeStart}-${body.length - 1}/${body.length}` });
    res.end(body.subarray(rangeStart));
    return;
  }
  res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/x-rpm' });
  res.end(body);
}

/** The part of the body a request asked for. */
function wanted(ctx: FaultContext): Buffer {
  return (ctx.body ?? Buffer.alloc(0)).subarray(ctx.rangeStart ?? 0);
}

/** Faults, by name. */
export const faults = {
  /** Reads the request and never answers. */
  noAnswer: (): Fault => () => {},
  /** Sends headers (with the full Content-Length), then nothing. */
  headersThenHang: (): Fault => (ctx) => {
    ctx.res.writeHead(200, { 'content-length': String(wanted(ctx).length) });
    ctx.res.flushHeaders();
  },
  /** Sends `fraction` of the body, then hangs with the connection open. */
  stallMidBody: (fraction = 0.5): Fault => (ctx) => {
    const b = wanted(ctx);
    ctx.res.writeHead(ctx.rangeStart ? 206 : 200, rangeHeaders(ctx, b));
    ctx.res.write(b.subarray(0, Math.floor(b.length * fraction)));
  },
  /** Sends the body at `bytesPerSecond`, in small pieces. */
  drip: (bytesPerSecond: number): Fault => (ctx) => {
    const b = wanted(ctx);
    ctx.res.writeHead(ctx.rangeStart ? 206 : 200, rangeHeaders(ctx, b));
    const piece = Math.max(1, Math.floor(bytesPerSecond / 20));
    void (async () => {
      for (let at = 0; at < b.length && !ctx.res.destroyed; at += piece) {
        if (at > 0) await sleep(50);
        ctx.res.write(b.subarray(at, at + piece));
      }
      ctx.res.end();
    })();
  },
  /**
   * Sends `fraction` of the body under the full Content-Length, then (after `delay` ms, as a dropped
   * connection comes some time after the last bytes) closes the connection.
   */
  closeEarly: (fraction = 0.5, delay = 30): Fault => (ctx) => {
    const b = wanted(ctx);
    ctx.res.writeHead(ctx.rangeStart ? 206 : 200, rangeHeaders(ctx, b));
    ctx.res.write(b.subarray(0, Math.floor(b.length * fraction)), () => setTimeout(() => ctx.res.socket?.destroy(), delay));
  },
  /** No Content-Length, `Connection: close`, part of the body, then close: the end looks normal. */
  closeEarlyNoLength: (fraction = 0.5): Fault => (ctx) => {
    const b = wanted(ctx);
    const headers: Record<string, string> = { connection: 'close' };
    if (ctx.rangeStart) headers['content-range'] = `bytes ${ctx.rangeStart}-${(ctx.body?.length ?? 0) - 1}/${ctx.body?.length ?? 0}`;
    ctx.res.useChunkedEncodingByDefault = false;
    ctx.res.shouldKeepAlive = false;
    ctx.res.writeHead(ctx.rangeStart ? 206 : 200, headers);
    ctx.res.end(b.subarray(0, Math.floor(b.length * fraction)));
  },
  /** Chunked transfer encoding, cut off without the final chunk. */
  chunkedCutOff: (fraction = 0.5): Fault => (ctx) => {
    const b = wanted(ctx);
    const headers: Record<string, string> = { 'transfer-encoding': 'chunked' };
    if (ctx.rangeStart) headers['content-range'] = `bytes ${ctx.rangeStart}-${(ctx.body?.length ?? 0) - 1}/${ctx.body?.length ?? 0}`;
    ctx.res.writeHead(ctx.rangeStart ? 206 : 200, headers);
    ctx.res.write(b.subarray(0, Math.floor(b.length * fraction)), () => setTimeout(() => ctx.res.socket?.destroy(), 30));
  },
  /** A short body behind a matching short Content-Length: the server calls it complete. */
  lyingLength: (cut = 1000): Fault => (ctx) => {
    const b = wanted(ctx);
    ctx.serve(ctx.body?.subarray(0, Math.max(0, (ctx.body?.length ?? 0) - cut)));
    void b;
  },
  /** One flipped byte at `at` (default: the middle). */
  flipByte: (at?: number): Fault => (ctx) => {
    const copy = Buffer.from(ctx.body ?? Buffer.alloc(0));
    const i = at ?? Math.floor(copy.length / 2);
    copy[i] = (copy[i] as number) ^ 0x01;
    ctx.serve(copy);
  },
  /** Another file's bytes under the requested name. */
  otherBytes: (other: Buffer): Fault => (ctx) => ctx.serve(other),
  /** A status with an optional Retry-After and a small body. */
  status: (code: number, retryAfter?: string): Fault => (ctx) => {
    const text = `status ${code}\n`;
    ctx.res.writeHead(code, { 'content-length': String(text.length), ...(retryAfter !== undefined && { 'retry-after': retryAfter }) });
    ctx.res.end(text);
  },
  /** Answers 200 with the whole file even to a Range request. */
  ignoreRange: (): Fault => (ctx) => {
    const b = ctx.body ?? Buffer.alloc(0);
    ctx.res.writeHead(200, { 'content-length': String(b.length) });
    ctx.res.end(b);
  },
  /** Answers a Range request with 206 but a Content-Range that starts elsewhere. */
  wrongContentRange: (): Fault => (ctx) => {
    const b = ctx.body ?? Buffer.alloc(0);
    const start = Math.max(0, (ctx.rangeStart ?? 0) - 100);
    ctx.res.writeHead(206, { 'content-length': String(b.length - start), 'content-range': `bytes ${start}-${b.length - 1}/${b.length}` });
    ctx.res.end(b.subarray(start));
  },
  /** Redirects to the same URL, forever. */
  redirectLoop: (): Fault => (ctx) => {
    ctx.res.writeHead(302, { location: ctx.req.url ?? '/', 'content-length': '0' }).end();
  },
  /** Redirects to `location`. */
  redirect: (location: string, code = 302): Fault => (ctx) => {
    ctx.res.writeHead(code, { location, 'content-length': '0' }).end();
  },
  /** Sends part of the body, then resets the TCP connection. */
  reset: (fraction = 0.3): Fault => (ctx) => {
    const b = wanted(ctx);
    ctx.res.writeHead(ctx.rangeStart ? 206 : 200, rangeHeaders(ctx, b));
    ctx.res.write(b.subarray(0, Math.floor(b.length * fraction)), () => setTimeout(() => ctx.res.socket?.resetAndDestroy(), 30));
  },
};

function rangeHeaders(ctx: FaultContext, part: Buffer): Record<string, string> {
  const total = ctx.body?.length ?? 0;
  const headers: Record<string, string> = { 'content-length': String(part.length) };
  if (ctx.rangeStart) headers['content-range'] = `bytes ${ctx.rangeStart}-${total - 1}/${total}`;
  return headers;
}

/** A TCP server that accepts connections and never reads or writes. */
export async function blackHole(): Promise<{ url: string; accepted: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: NetServer = createNetServer((s) => {
    accepted++;
    sockets.add(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A URL where nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}/`;
}
