/**
 * The seam between the attempt runner (fetch-file.ts) and what a fetch does with bytes. The runner picks
 * mirrors, retries, hedges and keeps the record; a Transfer opens a body and keeps its bytes: a package
 * into a temporary file through the verifier (package-transfer.ts), repository metadata through its
 * checks and parser (repo/metadata-transfer.ts). Where a transfer runs (this thread, a worker) is its
 * own business (docs/architecture.md, "Where a byte goes").
 */
import type { ResolvedTimeouts } from './timeouts.js';

/**
 * A mirror as a transfer sees it: which one (to know where held bytes came from) and its name for
 * messages. A transfer may run in another thread, where only this much of a mirror exists.
 */
export interface MirrorRef {
  readonly id: number;
  readonly label: string;
}

/** An opened body: what its head said, and the way to read or drop it. */
export interface OpenedSource {
  /** HTTP status, when the source is HTTP. */
  readonly status?: number;
  /** An offset was asked and the whole file came (a 200 to a Range request): start again from zero. */
  readonly restarted: boolean;
  /** Bytes the body will carry, when the source says. */
  readonly length?: number;
  /** URL after redirects, credentials masked (for results and messages). */
  readonly url: string;
  /**
   * Streams the body into `onData`. A chunk is valid only during the call (it may point into a buffer
   * that is reused); a returned promise pauses the body until it settles. Resolves at the body's end,
   * rejects with what cut it (an AttemptFailure or a low-level error the runner classifies).
   */
  read(onData: (chunk: Uint8Array) => void | Promise<void>): Promise<void>;
  /** Drops the body (a lost hedge, a failure); the connection is not reused unless the body was read. */
  discard(reason?: Error): void;
}

/** What to open. */
export interface OpenRequest {
  readonly url: URL;
  /** Bytes already held: ask for the rest (HTTP Range, a file offset). */
  readonly offset: number;
  /** The file's full length if known; a Content-Range that disagrees is refused. */
  readonly expectedTotal: number | undefined;
  readonly timeouts: ResolvedTimeouts;
  readonly signal: AbortSignal;
  /**
   * An earlier attempt at this file got wrong, short or cut-off bytes: ask caches on the way (a
   * caching proxy, a CDN) to fetch it from the origin again (`Cache-Control: no-cache`).
   */
  readonly revalidate?: boolean;
}

/** Opens sources: HTTP(S) through the transport, file:// from disk. */
export interface Opener {
  open(req: OpenRequest, mirror: MirrorRef): Promise<OpenedSource>;
}

/** What a transfer's consume step can tell the runner. */
export interface ConsumeRun {
  readonly mirror: MirrorRef;
  readonly signal: AbortSignal;
  /** `n` new bytes arrived; `held` bytes of the file are held now, of `total` when known. */
  progress(n: number, held: number, total: number | undefined): void;
}

/** How the bytes of one file are opened and kept: what varies between a package and a metadata file. */
export interface Transfer<T> {
  /** Bytes a next request may resume after (0: from the start). */
  held(): number;
  /** Whether some of the bytes held came from `mirror`. */
  heldFrom(mirror: MirrorRef): boolean;
  /** The file's full length, when known (it checks a Content-Range). */
  expectedTotal(): number | undefined;
  /** The bytes held came from more than one response. */
  resumed(): boolean;
  /** Forgets the bytes held. */
  dropHeld(): Promise<void>;
  /** Opens the body of `req.url` on `mirror`. */
  open(req: OpenRequest, mirror: MirrorRef): Promise<OpenedSource>;
  /**
   * Takes an opened body into the bytes held and, once they are whole, judges them; resolves with the
   * result or throws an AttemptFailure. `offset` is where the body starts.
   */
  consume(source: OpenedSource, offset: number, run: ConsumeRun): Promise<T>;
  /** Called once, when the fetch has ended, success or not. */
  close(): Promise<void>;
  /**
   * Resolves when the transfer can send a request at once (a lane that has booted). The runner waits
   * for it before it starts a request's clock: a thread booting is not a mirror slow to answer.
   */
  ready?(): Promise<void>;
}
