/**
 * A full (character-level) streaming XML reader, for repomd.xml and as the reference the fast
 * primary-file scanner is tested against: bytes in (any chunking, UTF-8 only), element and
 * text callbacks out, by local name (createrepo_c writes `rpm:` prefixes; the meaning is the same without
 * them). A DOCTYPE is refused: metadata never has one, and it is how entity tricks get in. Any
 * malformation is an `ERR_REPO_METADATA` naming the file and line.
 */
import { SaxesParser } from 'saxes';
import { RpmfetchError } from '../errors.js';
import type { ScanHandlers } from './xml-scanner.js';


/** The local part of a qualified name. */
function local(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

export class XmlReader {
  private readonly parser = new SaxesParser({ xmlns: false, position: true });
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private failure: RpmfetchError | undefined;
  /** The line the document ended on (the parser forgets it once closed). */
  private endLine: number | undefined;

  constructor(
    /** The file, as error messages name it. */
    private readonly what: string,
    handlers: ScanHandlers,
  ) {
    const p = this.parser;
    p.on('opentag', (tag) => handlers.open(local(tag.name), () => tag.attributes as Record<string, string>));
    p.on('closetag', (tag) => handlers.close(local(tag.name)));
    p.on('text', handlers.text);
    p.on('cdata', handlers.text);
    p.on('doctype', () => {
      throw this.fail('a DOCTYPE is not allowed in repository metadata');
    });
    p.on('xmldecl', (decl) => {
      if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) throw this.fail(`encoding ${decl.encoding} is not supported (only UTF-8)`);
    });
    p.on('error', (err) => {
      throw this.fail(err.message);
    });
  }

  /** An error naming the file and where in it. */
  fail(message: string): RpmfetchError {
    this.failure ??= new RpmfetchError('ERR_REPO_METADATA', `${this.what}: ${message.startsWith(':') ? message.slice(1) : message} (line ${this.endLine ?? this.parser.line})`);
    return this.failure;
  }

  write(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      throw this.fail('not valid UTF-8');
    }
    this.parse(() => this.parser.write(text));
  }

  /** Ends the document; throws if it is incomplete. */
  end(): void {
    if (this.failure) throw this.failure;
    let rest: string;
    try {
      rest = this.decoder.decode();
    } catch {
      throw this.fail('not valid UTF-8 at the end');
    }
    this.parse(() => {
      if (rest) this.parser.write(rest);
      this.endLine = this.parser.line;
      this.parser.close();
    });
  }

  private parse(run: () => void): void {
    try {
      run();
    } catch (err) {
      if (err instanceof RpmfetchError) throw err;
      throw this.fail((err as Error).message);
    }
  }
}
