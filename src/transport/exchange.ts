/**
 * One request and its response on one connection: sends the head, parses what comes back, hands the
 * head over, then streams the body to the consumer with backpressure, under the response and idle
 * timeouts and the caller's AbortSignal.
 *
 * Bytes come as views of the connection's read buffer, which the socket's next read overwrites.
 * Whatever cannot be handed on during the read that brought it (body bytes that came with the head,
 * bytes after a chunk whose consumer is busy) is "held", with the socket paused, and replayed before
 * reading resumes: in place on plain TCP, copied on TLS (see connection.ts), and never more than one
 * network read's worth.
 */
import { abortError, fromSocketError, TransportError, type TransportPhase } from './errors.js';
import type { Connection, ConnectionSink } from './connection.js';
import { ResponseParser, type ResponseHead } from './parser.js';

export interface ExchangeTimeouts {
  /** From the request written to the final response head. */
  readonly response: number;
  /** No body byte for this long (framing bytes do not count) while the consumer is not holding reading back. */
  readonly idle: number;
}

/** Receives the body; the chunk is valid only during the call; a returned promise pauses reading until it settles. */
export type ChunkConsumer = (chunk: Uint8Array) => unknown;

type State = 'head' | 'ready' | 'body' | 'done' | 'failed';

interface Pending<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

export class Exchange implements ConnectionSink {
  readonly parser = new ResponseParser();
  /** Response bytes received: none means the request may never have reached a server that was closing. */
  received = 0;
  private state: State = 'head';
  private headPending: Pending<ResponseHead> | undefined;
  private readPending: Pending<void> | undefined;
  private failure: unknown;
  private consumer: ChunkConsumer | undefined;
  /** The consumer's promise is pending. */
  private waiting = false;
  private held: Buffer | undefined;
  /** The connection ended while bytes were held: the end, replayed after them. */
  private endHeld: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly where: string,
    private readonly timeouts: ExchangeTimeouts,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Sends `head` and resolves with the final response head. */
  start(head: string): Promise<ResponseHead> {
    return new Promise((resolve, reject) => {
      this.headPending = { resolve, reject };
      if (this.signal?.aborted) return this.fail(abortError(this.signal, 'response'));
      this.signal?.addEventListener('abort', this.onAbort);
      this.conn.sink = this;
      this.conn.exchanges++;
      const ms = this.timeouts.response;
      this.arm(ms, () => new TransportError('ERR_RESPONSE_TIMEOUT', 'response', `no response from ${this.where} within ${ms} ms`));
      this.conn.socket?.write(head, 'latin1');
    });
  }

  /** Streams the body to `consumer`; resolves at its framed end. */
  read(consumer: ChunkConsumer): Promise<void> {
    if (this.consumer) return Promise.reject(new Error('the body is already being read'));
    this.consumer = consumer;
    if (this.state === 'done') return Promise.resolve();
    if (this.state === 'failed') return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.readPending = { resolve, reject };
      this.state = 'body';
      this.parser.onBody = this.deliver;
      this.armIdle();
      this.replay();
    });
  }

  /** Done with the response: the connection is reused only if the body's end is already here. */
  discard(): void {
    if (this.state === 'done' || this.state === 'failed') return;
    if (this.state === 'ready' && this.held && !this.consumer) {
      const held = this.held;
      this.held = undefined;
      this.state = 'body';
      try {
        const pos = this.parser.execute(held, 0, held.length);
        if (this.parser.done) return this.complete(pos < held.length);
      } catch {
        // Unusable either way.
      }
    }
    this.fail(new TransportError('ERR_ABORTED', this.phase(), 'the response was discarded before the end of its body'));
  }

  // ConnectionSink

  bytes(buf: Buffer, start: number, end: number, volatile: boolean): boolean {
    this.received += end - start;
    if (this.state === 'done' || this.state === 'failed') return false;
    if (this.held || this.waiting || this.state === 'ready') {
      this.hold(buf, start, end, volatile);
      return false;
    }
    return this.run(buf, start, end, volatile);
  }

  eof(): void {
    this.ended(undefined);
  }

  error(err: unknown): void {
    this.ended({ error: err });
  }

  closed(): void {
    // After an error this changes nothing; while bytes are held, it waits behind them like any end.
    this.ended({ error: new TransportError('ERR_ABORTED', this.phase(), `the connection to ${this.where} was closed by the client`) });
  }

  /** True when a failure may be the keep-alive race: a reused connection that the server had closed. */
  isStale(err: unknown): boolean {
    return this.conn.exchanges > 1 && this.received === 0 && err instanceof TransportError && err.code === 'ERR_CONNECTION_RESET';
  }

  private readonly onAbort = (): void => {
    if (this.signal) this.fail(abortError(this.signal, this.phase()));
  };

  private readonly deliver = (chunk: Uint8Array): boolean => {
    // Only body bytes count as progress: a server dripping chunk framing or trailers still stalls.
    this.timer?.refresh();
    const result = (this.consumer as ChunkConsumer)(chunk);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') return false;
    this.waiting = true;
    this.disarm();
    (result as PromiseLike<unknown>).then(
      () => {
        this.waiting = false;
        if (this.state !== 'body') return;
        this.armIdle();
        this.replay();
      },
      (err: unknown) => {
        this.waiting = false;
        this.fail(err);
      },
    );
    return true;
  };

  private phase(): TransportPhase {
    return this.state === 'head' ? 'response' : 'body';
  }

  /** Parses live or held bytes; returns whether the socket should keep reading. */
  private run(buf: Buffer, start: number, end: number, volatile: boolean): boolean {
    let pos: number;
    try {
      pos = this.parser.execute(buf, start, end);
    } catch (err) {
      this.fail(err);
      return false;
    }
    if (this.state === 'head') {
      const head = this.parser.head;
      if (!head) return true;
      this.disarm();
      this.state = 'ready';
      const finished = this.parser.done;
      if (finished) this.complete(pos < end);
      else if (pos < end) this.hold(buf, pos, end, volatile);
      this.headPending?.resolve(head);
      this.headPending = undefined;
      // Paused until the body is read; a finished exchange's connection is idle and must read on.
      return finished;
    }
    if (this.parser.done) {
      this.complete(pos < end);
      return true;
    }
    if (pos < end) this.hold(buf, pos, end, volatile);
    return !this.waiting;
  }

  /**
   * Keeps bytes for later. In place when they stay valid while the socket is paused; a copy when they
   * are `volatile`, and when others are held already (a TLS socket delivering what it had decrypted).
   */
  private hold(buf: Buffer, start: number, end: number, volatile: boolean): void {
    const part = buf.subarray(start, end);
    if (this.held) this.held = Buffer.concat([this.held, part]);
    else this.held = volatile ? Buffer.from(part) : part;
  }

  /** Feeds held bytes, then a held end, then lets the socket read again. */
  private replay(): void {
    while (this.held && this.state === 'body' && !this.waiting) {
      const held = this.held;
      this.held = undefined;
      this.run(held, 0, held.length, false);
    }
    if (this.state !== 'body' || this.waiting) return;
    const end = this.endHeld;
    this.endHeld = undefined;
    if (end) end();
    else this.conn.resume();
  }

  private ended(how: { error: unknown } | undefined): void {
    if (this.state === 'done' || this.state === 'failed') return;
    if (this.held || this.waiting || this.state === 'ready') {
      this.endHeld ??= () => this.ended(how);
      return;
    }
    if (how) return this.fail(fromSocketError(how.error, this.phase(), this.where));
    try {
      this.parser.eof();
    } catch (err) {
      return this.fail(err);
    }
    this.complete(false);
  }

  private complete(extraBytes: boolean): void {
    this.state = 'done';
    this.settle();
    // Bytes after the end belong to no response we asked for: the connection cannot be trusted.
    this.conn.finish(!extraBytes && this.parser.rules?.reusable === true);
    this.readPending?.resolve();
    this.readPending = undefined;
  }

  private fail(err: unknown): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = 'failed';
    this.failure = err;
    this.held = undefined;
    this.settle();
    this.conn.destroy();
    const pending = this.headPending ?? this.readPending;
    this.headPending = this.readPending = undefined;
    pending?.reject(err);
  }

  private settle(): void {
    this.disarm();
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  private armIdle(): void {
    const ms = this.timeouts.idle;
    this.arm(ms, () => new TransportError('ERR_STALL', 'body', `no body byte from ${this.where} for ${ms} ms (${this.parser.bodyBytes} bytes received)`));
  }

  private arm(ms: number, error: () => TransportError): void {
    this.disarm();
    this.timer = setTimeout(() => this.fail(error()), ms);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
