/**
 * Collects exactly `need` bytes of a header (or the lead) from chunks of any size. It grows as bytes
 * arrive instead of allocating `need` up front, so a header that claims 200 MiB and sends ten bytes
 * costs ten bytes. It grows fourfold: the copy when it grows holds old and new at once, and the last
 * one is what a header of rpm's largest size costs (1.25x its size, where doubling costs 1.5x); what it
 * holds stays within 4x what arrived.
 */
export class Collector {
  private buf: Buffer;
  private length = 0;

  /** Collects `need` bytes, starting with `prefix` (already received) when given. */
  constructor(
    readonly need: number,
    prefix?: Buffer,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(need, Math.max(64 * 1024, prefix?.length ?? 0)));
    if (prefix) {
      prefix.copy(this.buf);
      this.length = prefix.length;
    }
  }

  /** Copies what it still needs from `chunk[pos..]`; returns the number of bytes taken. */
  take(chunk: Uint8Array, pos: number): number {
    const n = Math.min(this.need - this.length, chunk.length - pos);
    if (this.length + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.need, Math.max(this.buf.length * 4, this.length + n)));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.buf.set(chunk.subarray(pos, pos + n), this.length);
    this.length += n;
    return n;
  }

  /** True once all `need` bytes are in. */
  get done(): boolean {
    return this.length === this.need;
  }

  /** Bytes collected so far. */
  get received(): number {
    return this.length;
  }

  /** The bytes collected so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
