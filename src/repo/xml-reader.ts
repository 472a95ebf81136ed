/**
 * A full (character-level) streaming XML reader, for repomd.xml and as the reference the fast
 * primary-file scanner is tested against: bytes in (any chunking, UTF-8 only), element and
 * text callbacks out, by local name (createrepo_c writes `rpm:` prefixes; the meaning is the same without
 * them). A DOCTYPE is refused: metadata never has one, and it is how entity tricks get in. Any
 * malformation is an `ERR_REPO_METADATA` naming the file and line.
 */
import { SaxesParser } from 'saxes';
import { localName, XmlInput } from './xml-input.js';
import type { ScanHandlers } from './xml-scanner.js';

export class XmlReader extends XmlInput {
  private readonly parser = new SaxesParser({ xmlns: false, position: true });
  /** The line the document ended on (the parser forgets it once closed). */
  private endLine: number | undefined;

  constructor(what: string, handlers: ScanHandlers) {
    super(what);
    const p = this.parser;
    p.on('opentag', (tag) => handlers.open(localName(tag.name), () => tag.attributes as Record<string, string>));
    p.on('closetag', (tag) => handlers.close(localName(tag.name)));
    p.on('text', handlers.text);
    p.on('cdata', handlers.text);
    p.on('doctype', () => {
      throw this.fail('a DOCTYPE is not allowed in repository metadata');
    });
    p.on('xmldecl', (decl) => {
      this.checkEncoding(decl.encoding);
    });
    p.on('error', (err) => {
      // saxes prefixes its messages with the position, which place() gives.
      throw this.fail(err.message.replace(/^(?:[^:]*:)?\d+:\d+: /, ''));
    });
  }

  protected place(): string {
    return `line ${this.endLine ?? this.parser.line}`;
  }

  protected feed(text: string, final: boolean): void {
    if (text) this.parser.write(text);
    if (final) {
      this.endLine = this.parser.line;
      this.parser.close();
    }
  }
}
