/**
 * What both XML readers share: bytes in any chunking, decoded strictly as UTF-8 (a multi-byte sequence
 * may be cut between chunks), and one sticky failure, an `ERR_REPO_METADATA` naming the file and the
 * place, that every later call rethrows.
 */
import { RpmfetchError } from '../errors.js';

/** The local part of a qualified name: createrepo_c's `rpm:` prefixes mean the same without them. */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

export abstract class XmlInput {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private failure: RpmfetchError | undefined;

  constructor(protected readonly what: string) {}

  /** Where the reader is, for messages: `line 12`, `at character 3456`. */
  protected abstract place(): string;
  /** Takes decoded text; `final` after the last of it. */
  protected abstract feed(text: string, final: boolean): void;

  /** An error naming the file and where in it (the first one sticks). */
  fail(message: string): RpmfetchError {
    this.failure ??= new RpmfetchError('ERR_REPO_METADATA', `${this.what}: ${message} (${this.place()})`);
    return this.failure;
  }

  /** Refuses an XML declaration naming another encoding than UTF-8 (the bytes are decoded as UTF-8). */
  protected checkEncoding(encoding: string | undefined): void {
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) throw this.fail(`encoding ${encoding} is not supported (only UTF-8)`);
  }

  write(chunk: Uint8Array): void {
    this.take(() => this.decoder.decode(chunk, { stream: true }), false);
  }

  /** Ends the document; throws if it is incomplete. */
  end(): void {
    this.take(() => this.decoder.decode(), true);
  }

  private take(decode: () => string, final: boolean): void {
    if (this.failure) throw this.failure;
    let text: string;
    try {
      text = decode();
    } catch {
      throw this.fail(final ? 'not valid UTF-8 at the end' : 'not valid UTF-8');
    }
    try {
      this.feed(text, final);
    } catch (err) {
      if (err instanceof RpmfetchError) throw (this.failure ??= err);
      throw this.fail((err as Error).message);
    }
  }
}
