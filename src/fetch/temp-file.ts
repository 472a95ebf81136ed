/**
 * The temporary file a download writes into: uniquely named in the destination directory (so the final
 * rename is atomic and two processes never share one), renamed into place only after the verdict
 * passed, removed on any failure.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Suffix of every temporary file rpmfetch creates. */
export const TEMP_SUFFIX = '.rpmfetch-part';

export class TempFile {
  private handle: FileHandle | undefined;
  private closed = false;

  private constructor(
    readonly path: string,
    handle: FileHandle,
  ) {
    this.handle = handle;
  }

  /** Creates `.<name>.<random>.rpmfetch-part` in `dir`, exclusively. */
  static async create(dir: string, name: string): Promise<TempFile> {
    const path = join(dir, `.${name}.${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    return new TempFile(path, await open(path, 'wx', 0o644));
  }

  /** Writes `data` at `position`. */
  async write(data: Buffer, position: number): Promise<void> {
    if (!this.handle) throw new Error('temporary file is closed');
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written, position + written);
      written += bytesWritten;
    }
  }

  /** Drops everything from `length` on (a restart from zero truncates to 0). */
  async truncate(length: number): Promise<void> {
    await this.handle?.truncate(length);
  }

  /** Flushes, closes and renames the file to `destination`, replacing what is there atomically. */
  async commit(destination: string): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
    await rename(this.path, destination);
    this.closed = true;
  }

  /** Closes and deletes the file; safe to call more than once. */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
    await rm(this.path, { force: true });
  }
}
