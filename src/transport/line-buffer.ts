/**
 * The one copy the parser makes: the start of a line that a read cut in two, kept until the read
 * that brings its end. It grows by doubling (a server dripping a head byte by byte costs linear time,
 * not quadratic) and is reused line after line; its size is bounded by the caller's line limits.
 */
export class LineBuffer {
  private bytes = Buffer.allocUnsafe(256);
  length = 0;

  append(src: Uint8Array, start: number, end: number): void {
    const need = this.length + (end - start);
    if (need > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    this.bytes.set(src.subarray(start, end), this.length);
    this.length = need;
  }

  /** The bytes held, as a view valid until the next append. */
  view(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}
