/**
 * The primary file (`primary.xml`), read as a stream: Fedora's is hundreds of MB uncompressed, so only
 * the packages whose names the caller wants are read, only the fields needed to download and check
 * them (NEVRA, checksum, size, location), and an {@link EntrySink} decides which of them to keep.
 */
import { XmlReader } from './xml-reader.js';
import { XmlScanner, type ScanHandlers } from './xml-scanner.js';

/** A package as primary.xml describes it. */
export interface PrimaryEntry {
  /** Package name. */
  readonly name: string;
  /** `x86_64`, `noarch`, `src`, … */
  readonly arch: string;
  /** Epoch; 0 when primary.xml gives none. */
  readonly epoch: number;
  /** Version. */
  readonly version: string;
  /** Release. */
  readonly release: string;
  /** Checksum of the package file (`pkgid`). */
  readonly checksum: {
    /** Type as primary.xml names it: `sha256`, `sha` (SHA-1), … */
    readonly type: string;
    /** The digest, lower-case hex. */
    readonly hex: string;
  };
  /** Size of the package file in bytes. */
  readonly size: number;
  /** Location relative to the repository base (or to `base`). */
  readonly href: string;
  /** `xml:base` of the location. */
  readonly base?: string;
}

interface Draft {
  /** The name is known and not wanted: the rest of the package is not read. */
  skip?: boolean;
  name?: string | undefined;
  arch?: string | undefined;
  epoch?: string | undefined;
  version?: string | undefined;
  release?: string | undefined;
  checksumType?: string | undefined;
  checksum?: string | undefined;
  size?: string | undefined;
  href?: string | undefined;
  base?: string | undefined;
}

const TEXT_FIELDS = new Set(['name', 'arch', 'checksum']);
/** Longest `<name>`, `<arch>` or `<checksum>` read: real ones are tens of characters. */
const MAX_FIELD = 4096;

/** Where the parser hands the packages of wanted names. */
export interface EntrySink {
  /** Whether packages of this name are wanted (the others are skipped unread). */
  wants(name: string): boolean;
  /** A package of a wanted name, in document order. */
  add(entry: PrimaryEntry): void;
  /** Packages held now. */
  readonly kept: number;
}

/** Keeps every package of a wanted name: for tests, and as the reference bounded sinks are held to. */
class KeepAll implements EntrySink {
  readonly entries: PrimaryEntry[] = [];

  constructor(readonly wants: (name: string) => boolean) {}

  add(entry: PrimaryEntry): void {
    this.entries.push(entry);
  }

  get kept(): number {
    return this.entries.length;
  }
}

export class PrimaryParser {
  /** Where packages of wanted names go. */
  readonly sink: EntrySink;
  /** Packages seen. */
  count = 0;
  private readonly reader: XmlReader | XmlScanner;
  private depth = 0;
  private draft: Draft | undefined;
  private field: 'name' | 'arch' | 'checksum' | undefined;
  private text = '';
  private declared: number | undefined;

  /**
   * `wanted`: a sink, or a name predicate (every package of a wanted name is then kept, in
   * {@link entries}). `reader`: `scan`, the fast tag-level scanner (the default), or `sax`, a full
   * character-level parser (the reference the scanner is tested against).
   */
  constructor(wanted: ((name: string) => boolean) | EntrySink, what = 'primary.xml', reader: 'scan' | 'sax' = 'scan') {
    this.sink = typeof wanted === 'function' ? new KeepAll(wanted) : wanted;
    const handlers: ScanHandlers = {
      open: (name, attributes) => this.open(name, attributes),
      close: (name) => this.close(name),
      text: (t) => {
        if (!this.field) return;
        this.text += t;
        if (this.text.length > MAX_FIELD) throw this.reader.fail(`a <${this.field}> longer than ${MAX_FIELD} characters`);
      },
      wantsText: () => this.field !== undefined,
    };
    this.reader = reader === 'scan' ? new XmlScanner(what, handlers) : new XmlReader(what, handlers);
  }

  /** With a name predicate: every package of a wanted name, in document order (else empty). */
  get entries(): readonly PrimaryEntry[] {
    return this.sink instanceof KeepAll ? this.sink.entries : [];
  }

  /** Packages the sink holds. */
  get kept(): number {
    return this.sink.kept;
  }

  write(chunk: Uint8Array): void {
    this.reader.write(chunk);
  }

  /** Ends the document; throws if it is incomplete or its package count is not the one it declares. */
  end(): void {
    this.reader.end();
    if (this.depth !== 0) throw this.reader.fail('the document ended inside an element');
    if (this.declared !== undefined && this.declared !== this.count) {
      throw this.reader.fail(`<metadata packages="${this.declared}"> but ${this.count} packages`);
    }
  }

  private open(name: string, attributesOf: () => Readonly<Record<string, string>>): void {
    const depth = ++this.depth;
    if (depth === 1) {
      if (name !== 'metadata') throw this.reader.fail(`the root element is <${name}>, not <metadata>`);
      const declared = attributesOf().packages;
      if (declared !== undefined) {
        if (!/^\d{1,9}$/.test(declared)) throw this.reader.fail(`packages="${declared}" is not a count`);
        this.declared = Number(declared);
      }
    } else if (depth === 2) {
      if (name === 'package') this.draft = {};
    } else if (depth === 3 && this.draft && !this.draft.skip) {
      const d = this.draft;
      if (TEXT_FIELDS.has(name)) {
        this.field = name as 'name' | 'arch' | 'checksum';
        this.text = '';
        if (name === 'checksum') d.checksumType = attributesOf().type ?? '';
      } else if (name === 'version') {
        const attributes = attributesOf();
        d.epoch = attributes.epoch ?? '0';
        d.version = attributes.ver;
        d.release = attributes.rel;
      } else if (name === 'size') {
        d.size = attributesOf().package;
      } else if (name === 'location') {
        const attributes = attributesOf();
        d.href = attributes.href;
        d.base = attributes['xml:base'];
      }
    }
  }

  private close(name: string): void {
    const depth = this.depth--;
    if (depth === 3 && this.field) {
      const d = this.draft as Draft;
      d[this.field] = this.text;
      // createrepo_c writes <name> first: an unwanted package is skipped from here on.
      if (this.field === 'name' && !this.sink.wants(this.text)) d.skip = true;
      this.field = undefined;
    } else if (depth === 2 && name === 'package' && this.draft) {
      this.count++;
      const d = this.draft;
      this.draft = undefined;
      if (!d.skip && d.name !== undefined && this.sink.wants(d.name)) this.sink.add(this.entry(d));
    }
  }

  /** A wanted package's entry; a missing or malformed field fails the whole file. */
  private entry(d: Draft): PrimaryEntry {
    const missing = (['arch', 'version', 'release', 'checksum', 'size', 'href'] as const).filter((k) => d[k] === undefined);
    if (missing.length > 0) throw this.reader.fail(`package ${d.name} lacks ${missing.join(', ')}`);
    const size = (d.size as string).trim();
    const epoch = (d.epoch ?? '0').trim() || '0';
    if (!/^\d{1,15}$/.test(size)) throw this.reader.fail(`package ${d.name} has size "${size}"`);
    if (!/^\d{1,10}$/.test(epoch)) throw this.reader.fail(`package ${d.name} has epoch "${epoch}"`);
    return {
      name: d.name as string,
      arch: (d.arch as string).trim(),
      epoch: Number(epoch),
      version: d.version as string,
      release: d.release as string,
      checksum: { type: d.checksumType ?? '', hex: (d.checksum as string).trim().toLowerCase() },
      size: Number(size),
      href: d.href as string,
      ...(d.base !== undefined && { base: d.base }),
    };
  }
}
