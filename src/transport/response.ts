/**
 * A response whose head has arrived. Its body is read once, with {@link HttpResponse.read} (views into
 * the client's read buffer, no copies) or as a Node stream with {@link HttpResponse.toReadable}
 * (copies); or it is discarded.
 */
import { Readable } from 'node:stream';
import type { ChunkConsumer, Exchange } from './exchange.js';
import type { ResponseHead } from './parser.js';

export class HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly version: '1.0' | '1.1';
  /** Lower-case names; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The URL this response is for, after redirects (credentials included: redact before printing). */
  readonly url: URL;
  /** The body's length when Content-Length frames it (0 for 204, 304); undefined for chunked or close-delimited bodies. */
  readonly length: number | undefined;

  constructor(
    head: ResponseHead,
    url: URL,
    private readonly exchange: Exchange,
  ) {
    this.status = head.status;
    this.statusText = head.statusText;
    this.version = head.version;
    this.headers = head.headers;
    this.url = url;
    const framing = exchange.parser.rules?.framing;
    this.length = framing?.kind === 'length' ? framing.length : framing?.kind === 'none' ? 0 : undefined;
  }

  /**
   * Reads the body to its framed end. `onChunk` gets views that are valid only during the call (they
   * point into a buffer the next read reuses: copy what must outlive it); returning a promise pauses
   * reading until it settles, and a rejection (or a throw) ends the exchange with that error.
   * Rejects with a TransportError for ERR_BODY_TRUNCATED, ERR_STALL, ERR_CONNECTION_RESET,
   * ERR_BAD_RESPONSE (bad chunk framing) or ERR_ABORTED.
   */
  read(onChunk: ChunkConsumer): Promise<void> {
    return this.exchange.read(onChunk);
  }

  /** Done with the response. Its connection is reused only if the whole body had been read (or had arrived). */
  discard(): void {
    this.exchange.discard();
  }

  /** The body as a Node Readable (each chunk copied out of the shared buffer); destroying it discards the response. */
  toReadable(): Readable {
    let wake: (() => void) | undefined;
    const readable = new Readable({
      read: () => {
        const w = wake;
        wake = undefined;
        w?.();
      },
      destroy: (err, callback) => {
        this.discard();
        callback(err);
      },
    });
    this.read((chunk) => {
      if (!readable.push(Buffer.from(chunk))) return new Promise<void>((resolve) => (wake = resolve));
      return undefined;
    }).then(
      () => readable.push(null),
      (err: unknown) => readable.destroy(err as Error),
    );
    return readable;
  }
}
