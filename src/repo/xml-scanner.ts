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
const ATTRIBUTE = /([^\s=/><"']+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g;
const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));|&/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** A tag longer than this without its `>` is not a tag of a primary file. */
const MAX_MARKUP = 1 << 20;

export class XmlScanner extends XmlInput {
  private buf = '';
  private pos = 0;
  /** Characters consumed before `buf` (for error positions). */
  private consumed = 0;
  private readonly stack: string[] = [];
  private seenRoot = false;

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
    // Keep only what is not consumed yet, then scan.
    if (this.pos > 0) {
      this.consumed += this.pos;
      this.buf = this.buf.slice(this.pos);
      this.pos = 0;
    }
    this.buf += text;
    this.scan(final);
    if (!final) return;
    if (this.pos < this.buf.length && this.buf.slice(this.pos).trim() !== '') throw this.fail('text after the document');
    if (this.stack.length > 0) throw this.fail(`the document ended inside <${this.stack[this.stack.length - 1]}>`);
    if (!this.seenRoot) throw this.fail('no root element');
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    const h = this.handlers;
    for (;;) {
      const lt = buf.indexOf('<', this.pos);
      if (lt < 0) {
        // Text up to the end of what arrived: keep it until its end is known (an entity may be cut).
        if (final) this.text(buf.slice(this.pos));
        return;
      }
      if (lt > this.pos) {
        this.text(buf.slice(this.pos, lt));
        this.pos = lt;
      }
      const c = buf.charCodeAt(lt + 1);
      if (Number.isNaN(c)) return this.needMore(final, 'a cut-off tag');
      if (c === 0x2f /* / */) {
        const gt = buf.indexOf('>', lt + 2);
        if (gt < 0) return this.needMore(final, 'a cut-off end tag');
        const name = buf.slice(lt + 2, gt).trimEnd();
        const open = this.stack.pop();
        if (open !== name) throw this.fail(open === undefined ? `</${name}> closes nothing` : `</${name}> where </${open}> belongs`);
        this.pos = gt + 1;
        h.close(localName(name));
        continue;
      }
      if (c === 0x21 /* ! */) {
        if (buf.startsWith('<!--', lt)) {
          const end = buf.indexOf('-->', lt + 4);
          if (end < 0) return this.needMore(final, 'a cut-off comment');
          this.pos = end + 3;
          continue;
        }
        if (buf.startsWith('<![CDATA[', lt)) {
          const end = buf.indexOf(']]>', lt + 9);
          if (end < 0) return this.needMore(final, 'a cut-off CDATA section');
          if (this.stack.length === 0) throw this.fail('CDATA outside the root element');
          if (h.wantsText()) h.text(buf.slice(lt + 9, end).replace(/\r\n?/g, '\n'));
          this.pos = end + 3;
          continue;
        }
        if (buf.length - lt < 9 && !final) return; // too short to tell yet
        if (buf.startsWith('<!DOCTYPE', lt)) throw this.fail('a DOCTYPE is not allowed in repository metadata');
        throw this.fail('unknown markup "<!"');
      }
      if (c === 0x3f /* ? */) {
        const end = buf.indexOf('?>', lt + 2);
        if (end < 0) return this.needMore(final, 'a cut-off processing instruction');
        this.declaration(buf.slice(lt + 2, end), lt);
        this.pos = end + 2;
        continue;
      }
      START_TAG.lastIndex = lt;
      const m = START_TAG.exec(buf);
      if (!m) {
        if (!final && buf.length - lt < MAX_MARKUP) return; // the rest of the tag has not arrived
        throw this.fail(`a malformed tag: ${JSON.stringify(buf.slice(lt, lt + 60))}`);
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

  private needMore(final: boolean, what: string): void {
    if (final) throw this.fail(`the document ends in ${what}`);
  }

  private text(raw: string): void {
    if (raw.length === 0) return;
    if (this.stack.length === 0) {
      if (raw.trim() !== '') throw this.fail('text outside the root element');
      return;
    }
    if (this.handlers.wantsText()) this.handlers.text(this.decode(raw.replace(/\r\n?/g, '\n')));
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

  private attributes(raw: string): Record<string, string> {
    const out: Record<string, string> = {};
    if (raw === '') return out;
    for (const m of raw.matchAll(ATTRIBUTE)) {
      const name = m[1] as string;
      if (Object.hasOwn(out, name)) throw this.fail(`attribute ${name} given twice`);
      // Attribute-value normalisation: literal whitespace characters become spaces.
      out[name] = this.decode((m[2] ?? m[3] ?? '').replace(/\r\n?/g, '\n').replace(/[\t\n]/g, ' '));
    }
    return out;
  }
}
