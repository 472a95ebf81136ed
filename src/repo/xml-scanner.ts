/**
 * A tag-level XML scanner for the primary file, several times faster than a character-level parser:
 * it jumps from `<` to `<` with indexOf (in well-formed XML a `<` only ever starts markup: text and
 * attribute values cannot hold one), reads each tag with one sticky regular expression, and decodes
 * text and attributes only where the reader asks for them.
 *
 * Structure is checked in full: every end tag must close the open element of the same name, the
 * document must end with every element closed, comments, CDATA sections and processing instructions
 * are honoured wherever they appear, a DOCTYPE is refused, and the text and attributes handed out are
 * decoded strictly (the five XML entities and character references; anything else fails). What is not
 * checked is the character-level validity of text the reader skips (a stray `&` in a description):
 * the file's checksum in repomd.xml binds its bytes, and no field taken from it can be changed that way.
 *
 * Work is linear in the input whatever it holds: text, comments and CDATA sections are handed on (or
 * dropped) as they arrive, however long, keeping back only a few characters that may be cut in two; a
 * tag or processing instruction waits for its end but may not pass {@link MAX_MARKUP}; and each pass
 * takes at least {@link MIN_PASS} new characters, so a construct waiting for its end is re-read a
 * bounded number of times.
 */
import { localName, XmlInput } from './xml-input.js';

export interface ScanHandlers {
  /** An element starts; `attributes()` decodes its attributes on demand. Names are local (prefix dropped). */
  open(name: string, attributes: () => Record<string, string>): void;
  close(name: string): void;
  /** Decoded character data, delivered only while `wantsText()` is true. */
  text(text: string): void;
  wantsText(): boolean;
}

/** Start tag: name, attributes (quoted values may hold `>`), optional `/`. */
const START_TAG = /<([^\s/>!?<"'=]+)((?:\s+[^\s=/><"']+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
const LITERAL_WHITESPACE = /[\t\n\r]/;
const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));|&/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** A tag (or processing instruction) longer than this without its end is not one of a primary file. */
const MAX_MARKUP = 1 << 20;
/** New characters gathered before a pass (unless the document ends). */
const MIN_PASS = 64 * 1024;
/** Longest entity or character reference (`&#x10FFFF;`): text may be handed on short of one cut in two. */
const MAX_REFERENCE = 10;

export class XmlScanner extends XmlInput {
  private buf = '';
  private pos = 0;
  /** Characters consumed before `buf` (for error positions). */
  private consumed = 0;
  private readonly stack: string[] = [];
  private seenRoot = false;
  /** Inside a comment or CDATA section whose end has not arrived yet. */
  private inside: 'comment' | 'CDATA section' | undefined;
  private readonly incoming: string[] = [];
  private incomingLength = 0;
  /** Characters passed over, counting each pass's whole buffer: linear in the input (tests hold it to that). */
  work = 0;

  constructor(
    what: string,
    private readonly handlers: ScanHandlers,
  ) {
    super(what);
  }

  protected place(): string {
    return `at character ${this.consumed + this.pos}`;
  }

  protected feed(text: string, final: boolean): void {
    if (text) {
      this.incoming.push(text);
      this.incomingLength += text.length;
    }
    if (!final && this.incomingLength < MIN_PASS) return;
    // Keep only what is not consumed yet, then scan.
    this.consumed += this.pos;
    this.buf = this.buf.slice(this.pos) + this.incoming.join('');
    this.pos = 0;
    this.incoming.length = 0;
    this.incomingLength = 0;
    this.work += this.buf.length;
    this.scan(final);
    if (!final) return;
    if (this.stack.length > 0) throw this.fail(`the document ended inside <${this.stack[this.stack.length - 1]}>`);
    if (!this.seenRoot) throw this.fail('no root element');
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    const h = this.handlers;
    if (this.inside && !this.passInside(final)) return;
    for (;;) {
      const lt = buf.indexOf('<', this.pos);
      if (lt < 0) {
        this.pendingText(final);
        return;
      }
      if (lt > this.pos) {
        this.text(buf.slice(this.pos, lt));
        this.pos = lt;
      }
      const c = buf.charCodeAt(lt + 1);
      if (Number.isNaN(c)) return this.needMore(final, 'a cut-off tag', lt);
      if (c === 0x2f /* / */) {
        const gt = buf.indexOf('>', lt + 2);
        if (gt < 0) return this.needMore(final, 'a cut-off end tag', lt);
        const name = buf.slice(lt + 2, gt).trimEnd();
        const open = this.stack.pop();
        if (open !== name) throw this.fail(open === undefined ? `</${name}> closes nothing` : `</${name}> where </${open}> belongs`);
        this.pos = gt + 1;
        h.close(localName(name));
        continue;
      }
      if (c === 0x21 /* ! */) {
        if (buf.startsWith('<!--', lt)) {
          this.pos = lt + 4;
          this.inside = 'comment';
          if (!this.passInside(final)) return;
          continue;
        }
        if (buf.startsWith('<![CDATA[', lt)) {
          if (this.stack.length === 0) throw this.fail('CDATA outside the root element');
          this.pos = lt + 9;
          this.inside = 'CDATA section';
          if (!this.passInside(final)) return;
          continue;
        }
        if (buf.length - lt < 9 && !final) return; // too short to tell yet
        if (buf.startsWith('<!DOCTYPE', lt)) throw this.fail('a DOCTYPE is not allowed in repository metadata');
        throw this.fail('unknown markup "<!"');
      }
      if (c === 0x3f /* ? */) {
        const end = buf.indexOf('?>', lt + 2);
        if (end < 0) return this.needMore(final, 'a cut-off processing instruction', lt);
        this.declaration(buf.slice(lt + 2, end), lt);
        this.pos = end + 2;
        continue;
      }
      START_TAG.lastIndex = lt;
      const m = START_TAG.exec(buf);
      if (!m) {
        if (final) throw this.fail(`a malformed tag: ${JSON.stringify(buf.slice(lt, lt + 60))}`);
        return this.needMore(final, 'a cut-off tag', lt); // the rest of the tag has not arrived
      }
      const qname = m[1] as string;
      const rawAttributes = m[2] as string;
      if (this.stack.length === 0) {
        if (this.seenRoot) throw this.fail(`a second root element <${qname}>`);
        this.seenRoot = true;
      }
      this.pos = START_TAG.lastIndex;
      const name = localName(qname);
      h.open(name, () => this.attributes(rawAttributes));
      if (m[3]) h.close(name);
      else this.stack.push(qname);
    }
  }

  /** A construct starting at `at` has not ended in what arrived: wait for more, within limits. */
  private needMore(final: boolean, what: string, at: number): void {
    if (final) throw this.fail(`the document ends in ${what}`);
    if (this.buf.length - at > MAX_MARKUP) throw this.fail(`markup longer than ${MAX_MARKUP} characters`);
  }

  /**
   * Passes over the content of the comment or CDATA section the scanner is in (handing CDATA on when it
   * is wanted); false when its end has not arrived, all but a tail that may start the end done with.
   */
  private passInside(final: boolean): boolean {
    const buf = this.buf;
    const cdata = this.inside === 'CDATA section';
    const end = buf.indexOf(cdata ? ']]>' : '-->', this.pos);
    let upTo = end >= 0 ? end : Math.max(this.pos, buf.length - 2);
    // A CR may be the first half of a CR LF, which is one line end.
    if (end < 0 && upTo > this.pos && buf.charCodeAt(upTo - 1) === 0x0d) upTo--;
    if (cdata && upTo > this.pos && this.handlers.wantsText()) this.handlers.text(buf.slice(this.pos, upTo).replace(/\r\n?/g, '\n'));
    if (end < 0) {
      if (final) throw this.fail(`the document ends in a cut-off ${this.inside}`);
      this.pos = upTo;
      return false;
    }
    this.pos = end + 3;
    this.inside = undefined;
    return true;
  }

  /**
   * Text with no `<` after it in what arrived: handed on now (or at the end, all of it), short of a
   * tail that may be a reference or a CR LF cut in two. Text kept until its `<` came would be read
   * again on every pass.
   */
  private pendingText(final: boolean): void {
    const buf = this.buf;
    let upTo = buf.length;
    if (!final) {
      const amp = buf.lastIndexOf('&');
      if (amp >= this.pos && upTo - amp <= MAX_REFERENCE && buf.indexOf(';', amp) < 0) upTo = amp;
      if (upTo > this.pos && buf.charCodeAt(upTo - 1) === 0x0d) upTo--;
    }
    this.text(buf.slice(this.pos, upTo));
    this.pos = upTo;
  }

  private text(raw: string): void {
    if (raw.length === 0) return;
    if (this.stack.length === 0) {
      if (raw.trim() !== '') throw this.fail(this.seenRoot ? 'text after the document' : 'text outside the root element');
      return;
    }
    if (this.handlers.wantsText()) this.handlers.text(this.decode(raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw));
  }

  /** The XML declaration is the only processing instruction that matters: UTF-8 or nothing. */
  private declaration(body: string, at: number): void {
    if (!/^xml\s/.test(body)) return;
    if (at !== 0 || this.consumed !== 0) throw this.fail('an XML declaration after the start');
    const encoding = /encoding\s*=\s*["']([^"']+)["']/.exec(body)?.[1];
    this.checkEncoding(encoding);
  }

  /** Decodes entity and character references; an unknown entity or a bare `&` fails. */
  private decode(raw: string): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(ENTITY, (whole, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (named) return NAMED[named] as string;
      const code = dec !== undefined ? Number(dec) : hex !== undefined ? Number.parseInt(hex, 16) : -1;
      if (code < 0) throw this.fail(`a bare or unknown entity reference near ${JSON.stringify(raw.slice(0, 40))}`);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw this.fail(`character reference ${whole} is not a character`);
      return String.fromCodePoint(code);
    });
  }

  /**
   * Splits the attributes START_TAG matched (so well-formed: whitespace, a name without `=`, `=`, a
   * quoted value without its quote) with indexOf, several times faster than a regular expression.
   */
  private attributes(raw: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (let at = 0, eq = raw.indexOf('='); eq >= 0; eq = raw.indexOf('=', at)) {
      const name = raw.slice(at, eq).trim();
      let open = eq + 1;
      while (raw[open] !== '"' && raw[open] !== "'") open++;
      const close = raw.indexOf(raw[open] as string, open + 1);
      if (Object.hasOwn(out, name)) throw this.fail(`attribute ${name} given twice`);
      // Attribute-value normalisation: literal whitespace characters become spaces (rarely any).
      const value = raw.slice(open + 1, close);
      out[name] = this.decode(LITERAL_WHITESPACE.test(value) ? value.replace(/\r\n?/g, '\n').replace(/[\t\n]/g, ' ') : value);
      at = close + 1;
    }
    return out;
  }
}
