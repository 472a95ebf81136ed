/**
 * One socket to an origin or a proxy, and the exchange it currently carries. Bytes reach it in one of
 * two ways: plain TCP and direct TLS sockets read into a buffer of their own, taken from the client's
 * free list (`onread`: no allocation per read), tunnelled TLS sockets through 'data' events (Node
 * ignores `onread` when tls.connect wraps an existing socket). Either way they go to the exchange,
 * which says whether to keep reading; bytes that arrive with no exchange (an idle connection) make the
 * connection unusable.
 *
 * Why a buffer per connection rather than one per client: bytes that cannot be handed on during the
 * read that brought them (the start of a body that came with the head, the rest of a read after a
 * chunk whose consumer is busy) stay valid where they are while a TCP socket is paused. With one
 * shared buffer every such remainder had to be copied out (up to a whole read per response), which
 * measured slower on a batch of small files than the memory it saves.
 *
 * TLS is different (Node 20): a TLS socket decrypts every record it already has and calls `onread`
 * for each even after a callback returned false, so what is held must be copied first (at most what
 * one TCP read brought). Its callbacks carry one record (16 KiB at most): its buffer is that size.
 */
import type { OnReadOpts, Socket } from 'node:net';
import type { Route } from './route.js';

/** The most a TLS socket hands to `onread` at once: one record's plaintext (TLSWrap's kClearOutChunkSize). */
const TLS_RECORD_BYTES = 16 * 1024;

/** What a connection feeds: the exchange in progress. */
export interface ConnectionSink {
  /**
   * Bytes [start, end) of `buf`; returns false to pause the socket. `volatile`: the next callback may
   * overwrite them even while paused (TLS), so what is kept must be copied; otherwise they stay valid
   * until the socket is resumed.
   */
  bytes(buf: Buffer, start: number, end: number, volatile: boolean): boolean;
  /** The peer closed its side. */
  eof(): void;
  error(err: unknown): void;
  /** The socket closed under the exchange without an error (the client closed it). */
  closed(): void;
}

/** The client, as its connections see it. */
export interface ConnectionOwner {
  /** A read buffer from the free list. */
  takeBuffer(): Buffer;
  /** A read buffer no socket and no exchange refers to any more. */
  returnBuffer(buffer: Buffer): void;
  /** A connection whose exchange ended cleanly and that may carry another. */
  release(conn: Connection): void;
  /** A connection that closed. */
  forget(conn: Connection): void;
}

export class Connection {
  socket: Socket | undefined;
  sink: ConnectionSink | undefined;
  /** Exchanges started on it: above 1 it is a reused keep-alive connection. */
  exchanges = 0;
  /** The pool's timer while it is idle. */
  idleTimer: NodeJS.Timeout | undefined;
  private buffer: Buffer | undefined;

  constructor(
    readonly route: Route,
    private readonly owner: ConnectionOwner,
  ) {}

  /** The `onread` option for its socket, plain TCP or TLS. */
  onread(tls: boolean): OnReadOpts {
    if (tls) {
      const buffer = Buffer.allocUnsafeSlow(TLS_RECORD_BYTES);
      return { buffer, callback: (n: number) => this.bytes(buffer, 0, n, true) };
    }
    const buffer = (this.buffer ??= this.owner.takeBuffer());
    return { buffer, callback: (n: number) => this.bytes(buffer, 0, n, false) };
  }

  get usable(): boolean {
    const s = this.socket;
    return s !== undefined && !s.destroyed && s.writable && s.readable;
  }

  /** Takes over a connected socket; `data`: it has no `onread` buffer and reads through 'data' events. */
  attach(socket: Socket, data: boolean): void {
    this.socket = socket;
    if (data) {
      socket.on('data', (chunk: Buffer) => {
        if (!this.bytes(chunk, 0, chunk.length, false)) socket.pause();
      });
    }
    socket.on('end', () => (this.sink ? this.sink.eof() : this.destroy()));
    socket.on('error', (err) => (this.sink ? this.sink.error(err) : this.destroy()));
    socket.on('close', () => {
      const sink = this.sink;
      this.sink = undefined;
      // An exchange that failed may still hold views of the buffer; it goes to the garbage collector then.
      if (this.buffer && !sink) this.owner.returnBuffer(this.buffer);
      this.buffer = undefined;
      sink?.closed();
      this.owner.forget(this);
    });
  }

  private bytes(buf: Buffer, start: number, end: number, volatile: boolean): boolean {
    if (this.sink) return this.sink.bytes(buf, start, end, volatile);
    this.destroy();
    return false;
  }

  /** Starts reading again after a pause (the onread path pauses by returning false). */
  resume(): void {
    this.socket?.resume();
  }

  /** The exchange is over: back to the client's pool when `reusable`, else closed. */
  finish(reusable: boolean): void {
    this.sink = undefined;
    if (reusable && this.usable) this.owner.release(this);
    else this.destroy();
  }

  /** Closes the socket; an exchange still on it hears of it through the 'close' event. */
  destroy(): void {
    this.socket?.destroy();
  }
}
