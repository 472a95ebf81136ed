/**
 * An incremental HTTP/1.x response parser (RFC 9112) that works on the read buffer in place: body
 * bytes go to `onBody` as views of the bytes it was given, and only a line cut in two by a read is
 * copied (into a {@link LineBuffer}). Every size a server controls is bounded (limits.ts), and every
 * deviation from plain HTTP/1.0 or 1.1 is an ERR_BAD_RESPONSE, never a guess.
 *
 * The same bytes give the same result however they are split into reads; the tests check that for
 * every framing, down to one byte at a time.
 */
import { TransportError } from './errors.js';
import { bodyRules, type BodyRules } from './framing.js';
import { LineBuffer } from './line-buffer.js';
import { MAX_BODY_LENGTH, MAX_CHUNK_LINE_BYTES, MAX_CHUNK_SIZE_DIGITS, MAX_HEAD_BYTES, MAX_INTERIM_RESPONSES, MAX_TRAILER_BYTES } from './limits.js';
import { allValueBytes, badResponse, contentEnd, excerpt, fieldLine, isWhitespace, LF } from './syntax.js';

/** The head of a final (non-1xx) response. */
export interface ResponseHead {
  readonly version: '1.0' | '1.1';
  readonly status: number;
  readonly statusText: string;
  /** Lower-case names; a repeated header's values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
}

const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_END = 4;
const TRAILERS = 5;
const CLOSE = 6;
const DONE = 7;

const HEX = new Uint8Array(256).fill(255);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x41 + c] = HEX[0x61 + c] = 10 + c;

/** "HTTP/1.x 200": what a status line starts with, byte by byte ('d' a digit, 'v' 0 or 1). */
const STATUS_TEMPLATE = 'HTTP/1.v ddd';
const SEMICOLON = 0x3b;
const SP = 0x20;

export class ResponseParser {
  /** The final head, once parsed. */
  head: ResponseHead | undefined;
  /** How its body is framed and whether the connection may be reused; set with `head`. */
  rules: BodyRules | undefined;
  /** Interim responses skipped. */
  interim = 0;
  /** Body bytes delivered so far. */
  bodyBytes = 0;
  /**
   * Receives the body, in views valid only during the call. Returning true stops {@link execute}
   * right after this chunk (the consumer is busy); the caller keeps the rest of its bytes.
   */
  onBody: (chunk: Uint8Array) => boolean = () => false;

  private state = HEAD;
  private started = false;
  private readonly partial = new LineBuffer();
  /** Bytes of the current head or trailer section so far, line ends included. */
  private sectionBytes = 0;
  private statusSeen = false;
  private version: '1.0' | '1.1' = '1.1';
  private status = 0;
  private statusText = '';
  private headers: Record<string, string> = Object.create(null) as Record<string, string>;
  /** Bytes left in the Content-Length body or the current chunk. */
  private remaining = 0;
  private headReady = false;

  /** `noBody`: the response to a request that has no response body (CONNECT). */
  constructor(private readonly noBody = false) {}

  /** The response is complete: every byte after this point belongs to nothing. */
  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Parses bytes [start, end) of `buf`; returns where it stopped: at `end`, right after the final
   * head (so that the caller can hand the response over before any body byte), after a chunk the
   * consumer asked to stop at, or at the end of the response. Throws a TransportError.
   */
  execute(buf: Buffer, start: number, end: number): number {
    let pos = start;
    if (pos < end) this.started = true;
    while (pos < end) {
      const state = this.state;
      if (state === LENGTH || state === CHUNK_DATA || state === CLOSE) {
        const at = pos;
        pos = state === CLOSE ? end : Math.min(end, pos + this.remaining);
        this.bodyBytes += pos - at;
        if (state !== CLOSE) {
          this.remaining -= pos - at;
          if (this.remaining === 0) this.state = state === LENGTH ? DONE : CHUNK_END;
        }
        if (this.onBody(buf.subarray(at, pos))) return pos;
      } else if (state === DONE) {
        return pos;
      } else {
        pos = this.line(buf, pos, end);
        if (this.headReady) {
          this.headReady = false;
          return pos;
        }
      }
    }
    return pos;
  }

  /** The connection closed: fine for a body that ends at close (or a finished one), else a TransportError. */
  eof(): void {
    const state = this.state;
    if (state === CLOSE) this.state = DONE;
    if (this.state === DONE) return;
    if (state === HEAD) {
      throw new TransportError('ERR_CONNECTION_RESET', 'response', this.started ? 'the connection closed in the middle of the response head' : 'the connection closed without a response');
    }
    const framing = this.rules?.framing;
    const what = framing?.kind === 'length' ? `after ${this.bodyBytes} of ${framing.length} body bytes` : `before the last chunk of a chunked body (${this.bodyBytes} bytes received)`;
    throw new TransportError('ERR_BODY_TRUNCATED', 'body', `the connection closed ${what}`);
  }

  /** How many more bytes the current line (partial part included) may take, line end included. */
  private allowance(): number {
    switch (this.state) {
      case HEAD:
        return MAX_HEAD_BYTES - this.sectionBytes;
      case TRAILERS:
        return MAX_TRAILER_BYTES - this.sectionBytes;
      case CHUNK_SIZE:
        return MAX_CHUNK_LINE_BYTES;
      default:
        return 2; // CRLF after chunk data
    }
  }

  private tooLong(): TransportError {
    switch (this.state) {
      case HEAD:
        return badResponse('response', `the response head is over ${MAX_HEAD_BYTES} bytes`);
      case TRAILERS:
        return badResponse('body', `the chunked body's trailers are over ${MAX_TRAILER_BYTES} bytes`);
      case CHUNK_SIZE:
        return badResponse('body', `a chunk-size line is over ${MAX_CHUNK_LINE_BYTES} bytes`);
      default:
        return badResponse('body', 'chunk data runs past its chunk size');
    }
  }

  /** Consumes one line (or the rest of the bytes, into the partial line); returns the new position. */
  private line(buf: Buffer, pos: number, end: number): number {
    const held = this.partial.length;
    // Bytes this line may still take, its LF included.
    const room = this.allowance() - held;
    const stop = Math.min(end, pos + room);
    let lf = pos;
    while (lf < stop && buf[lf] !== LF) lf++;
    if (lf >= stop) {
      // Refused at the first byte that proves it, whatever the reads' sizes: the same bytes give the
      // same verdict (not a truncation here and a bad response there).
      this.partial.append(buf, pos, Math.max(pos, stop));
      if (this.state === HEAD && !this.statusSeen) {
        const partial = this.partial.view();
        checkStatusPrefix(partial, 0, partial.length);
      }
      if (stop - pos >= room) throw this.tooLong();
      return end;
    }
    this.sectionBytes += held + lf + 1 - pos;
    if (held > 0) {
      this.partial.append(buf, pos, lf);
      const whole = this.partial.view();
      this.partial.clear();
      this.lineContent(whole, 0, contentEnd(whole, 0, whole.length));
    } else {
      this.lineContent(buf, pos, contentEnd(buf, pos, lf));
    }
    return lf + 1;
  }

  /** A complete line's content [s, e), line end excluded. */
  private lineContent(b: Buffer, s: number, e: number): void {
    switch (this.state) {
      case HEAD:
        if (!this.statusSeen) this.statusLine(b, s, e);
        else if (e === s) this.endOfHead();
        else this.headerLine(b, s, e);
        return;
      case CHUNK_SIZE:
        this.chunkSize(b, s, e);
        return;
      case CHUNK_END:
        if (e !== s) throw this.tooLong();
        this.state = CHUNK_SIZE;
        return;
      default: // TRAILERS: checked like headers, then dropped
        if (e === s) this.state = DONE;
        else fieldLine(b, s, e, 'body', 'trailer');
    }
  }

  private statusLine(b: Buffer, s: number, e: number): void {
    checkStatusPrefix(b, s, e);
    if (e - s < STATUS_TEMPLATE.length || (e - s > STATUS_TEMPLATE.length && b[s + 12] !== SP) || !allValueBytes(b, s + 13, e)) {
      throw badResponse('response', `a malformed status line "${excerpt(b, s, e)}"`);
    }
    this.version = b[s + 7] === 0x31 ? '1.1' : '1.0';
    this.status = ((b[s + 9] as number) - 0x30) * 100 + ((b[s + 10] as number) - 0x30) * 10 + ((b[s + 11] as number) - 0x30);
    this.statusText = e > s + 13 ? b.toString('latin1', s + 13, e) : '';
    if (this.status < 100 || this.status > 599) throw badResponse('response', `status ${this.status} is not an HTTP status`);
    // A 101 hands the connection to another protocol: nothing after it is an HTTP response.
    if (this.status === 101) throw badResponse('response', `HTTP 101 ${this.statusText}: the server switched to another protocol`);
    this.statusSeen = true;
  }

  private headerLine(b: Buffer, s: number, e: number): void {
    const [name, value] = fieldLine(b, s, e, 'response', 'header');
    const previous = this.headers[name];
    this.headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }

  private endOfHead(): void {
    this.sectionBytes = 0;
    this.statusSeen = false;
    if (this.status < 200) {
      // 100, 102, 103: interim, followed by the real response.
      if (++this.interim > MAX_INTERIM_RESPONSES) throw badResponse('response', `more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses`);
      this.headers = Object.create(null) as Record<string, string>;
      return;
    }
    const headers = this.headers;
    this.head = { version: this.version, status: this.status, statusText: this.statusText, headers };
    this.rules = bodyRules(this.version, this.status, headers, this.noBody);
    const framing = this.rules.framing;
    if (framing.kind === 'length') this.remaining = framing.length;
    this.state = framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0) ? DONE : framing.kind === 'length' ? LENGTH : framing.kind === 'chunked' ? CHUNK_SIZE : CLOSE;
    this.headReady = true;
  }

  private chunkSize(b: Buffer, s: number, e: number): void {
    let i = s;
    let size = 0;
    while (i < e) {
      const h = HEX[b[i] as number] as number;
      if (h === 255) break;
      size = size * 16 + h;
      i++;
    }
    const digits = i - s;
    let ext = i;
    while (ext < e && isWhitespace(b[ext])) ext++;
    if (digits === 0 || digits > MAX_CHUNK_SIZE_DIGITS || (i < e && (b[ext] !== SEMICOLON || !allValueBytes(b, ext, e)))) {
      throw badResponse('body', `a malformed chunk-size line "${excerpt(b, s, e)}"`);
    }
    if (size === 0) {
      this.state = TRAILERS;
      this.sectionBytes = 0;
      return;
    }
    if (this.bodyBytes + size > MAX_BODY_LENGTH) throw badResponse('body', 'the chunked body is longer than 2^53 - 1 bytes');
    this.remaining = size;
    this.state = CHUNK_DATA;
  }
}

/** Refuses, as soon as the bytes show it, anything that cannot be the start of an HTTP/1.0 or 1.1 status line. */
function checkStatusPrefix(b: Buffer, s: number, e: number): void {
  const n = Math.min(e - s, STATUS_TEMPLATE.length);
  for (let k = 0; k < n; k++) {
    const c = b[s + k] as number;
    const want = STATUS_TEMPLATE.charCodeAt(k);
    const ok = want === 0x64 /* d */ ? c >= 0x30 && c <= 0x39 : want === 0x76 /* v */ ? c === 0x30 || c === 0x31 : c === want;
    if (!ok) throw badResponse('response', `not an HTTP/1.0 or 1.1 response: "${excerpt(b, s, e)}"`);
  }
}
