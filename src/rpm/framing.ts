/**
 * The framing of a package's bytes: lead, signature header, padding, main header, payload. Chunks of
 * any size go in; each part comes out whole, parsed, to a {@link FramingListener}, and payload bytes
 * pass straight through. Anything that breaks the structure (a bad lead or header, the bytes ending
 * inside one) is a failure after which nothing more is parsed.
 */
import { VerifyError } from '../errors.js';
import { Collector } from './collector.js';
import { HEADER_INTRO_SIZE, Header, parseHeaderIntro } from './header.js';
import { assertLeadMagic, LEAD_SIZE, parseLead } from './lead.js';

type Phase = 'lead' | 'sig-intro' | 'sig-body' | 'sig-pad' | 'hdr-intro' | 'hdr-body' | 'payload' | 'failed';

const PHASE_NAMES: Record<Phase, string> = {
  lead: 'the lead',
  'sig-intro': 'the signature header intro',
  'sig-body': 'the signature header',
  'sig-pad': 'the padding after the signature header',
  'hdr-intro': 'the main header intro',
  'hdr-body': 'the main header',
  payload: 'the payload',
  failed: 'a failed package',
};

/** A part of the file before the payload, with its absolute offset. */
export interface Piece {
  /** The part's bytes. */
  readonly bytes: Buffer;
  /** Where it starts in the file. */
  readonly offset: number;
}

/**
 * What the framing hands on. A {@link VerifyError} thrown by `signatureHeader`, `mainHeaderIntro` or
 * `mainHeader` is a structural failure, as if the part itself were broken.
 */
export interface FramingListener {
  /** The signature header was read; the main header starts at `headerStart`. */
  signatureHeader(signature: Header, headerStart: number): void;
  /** The main header's intro was read: the header is `length` bytes, intro included. */
  mainHeaderIntro(length: number, headerStart: number): void;
  /**
   * The main header was read; `before` are the lead, signature header and padding. The payload starts
   * at `headerStart + bytes.length`.
   */
  mainHeader(main: Header, bytes: Buffer, headerStart: number, before: readonly Piece[]): void;
  /** Payload bytes (or bytes past the package's end) starting at absolute offset `offset`. */
  payload(bytes: Uint8Array, offset: number): void;
  /** The structure is broken; no more parts will come. */
  broken(err: VerifyError): void;
}

/** Cuts a package's bytes into its parts. */
export class PackageFraming {
  private phase: Phase = 'lead';
  private collector = new Collector(LEAD_SIZE);
  private readonly before: Piece[] = [];
  private headerStart = 0;

  /** Hands each part on to `listener`. */
  constructor(private readonly listener: FramingListener) {}

  /** True once both headers have been read and the payload is streaming. */
  get inPayload(): boolean {
    return this.phase === 'payload';
  }

  /** True once the structure is known broken. */
  get failed(): boolean {
    return this.phase === 'failed';
  }

  /** Takes the next chunk, which starts at absolute offset `offset`. */
  feed(chunk: Uint8Array, offset: number): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.phase === 'failed') return;
      if (this.phase === 'payload') {
        this.listener.payload(pos === 0 ? chunk : chunk.subarray(pos), offset + pos);
        return;
      }
      pos += this.collector.take(chunk, pos);
      if (!this.collector.done) {
        // Four bytes tell an RPM from an HTML error page; no need to wait for the other 92.
        if (this.phase === 'lead' && this.collector.received >= 4) this.guard(() => assertLeadMagic(this.collector.bytes()));
        return;
      }
      this.guard(() => this.advance(this.collector.bytes()));
    }
  }

  /**
   * The bytes have ended after `received` in all: a failure when they ended inside the lead or a
   * header (reported to the listener too), else undefined.
   */
  end(received: number): VerifyError | undefined {
    if (this.phase === 'payload' || this.phase === 'failed') return undefined;
    const what = `${PHASE_NAMES[this.phase]} (${this.collector.received} of ${this.collector.need} bytes)`;
    const err = new VerifyError('ERR_RPM_TRUNCATED', `the bytes ended inside ${what} after ${received} bytes in all`, 'structure');
    this.breakWith(err);
    return err;
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (err) {
      if (!(err instanceof VerifyError)) throw err;
      this.breakWith(err);
    }
  }

  private breakWith(err: VerifyError): void {
    this.phase = 'failed';
    this.listener.broken(err);
  }

  private next(phase: Phase, need: number, prefix?: Buffer): void {
    this.phase = phase;
    this.collector = new Collector(need, prefix);
  }

  private advance(bytes: Buffer): void {
    switch (this.phase) {
      case 'lead':
        parseLead(bytes);
        this.before.push({ bytes, offset: 0 });
        this.next('sig-intro', HEADER_INTRO_SIZE);
        return;
      case 'sig-intro':
        this.next('sig-body', parseHeaderIntro(bytes, 'signature').length, bytes);
        return;
      case 'sig-body': {
        this.before.push({ bytes, offset: LEAD_SIZE });
        const pad = (8 - (bytes.length % 8)) % 8;
        if (pad > 0) this.next('sig-pad', pad);
        else this.onSignatureHeader();
        return;
      }
      case 'sig-pad':
        // rpm reads the padding but does not look at it; neither do we.
        this.before.push({ bytes, offset: LEAD_SIZE + (this.before[1] as Piece).bytes.length });
        this.onSignatureHeader();
        return;
      case 'hdr-intro': {
        const length = parseHeaderIntro(bytes, 'main').length;
        this.listener.mainHeaderIntro(length, this.headerStart);
        this.next('hdr-body', length, bytes);
        return;
      }
      case 'hdr-body':
        this.listener.mainHeader(Header.parse(bytes, 'main'), bytes, this.headerStart, this.before);
        this.phase = 'payload';
        return;
      default:
        return;
    }
  }

  private onSignatureHeader(): void {
    const sigBytes = (this.before[1] as Piece).bytes;
    const signature = Header.parse(sigBytes, 'signature');
    this.headerStart = this.before.reduce((end, p) => Math.max(end, p.offset + p.bytes.length), 0);
    this.listener.signatureHeader(signature, this.headerStart);
    this.next('hdr-intro', HEADER_INTRO_SIZE);
  }
}
