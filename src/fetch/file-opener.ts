/**
 * Opening a body under a file:// mirror (an NFS-mounted package tree): the file from the offset asked,
 * read in large pieces into one reused buffer, so that a gigabyte costs reads, not allocations.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { redactUrl } from '../transport/redact.js';
import { AttemptFailure, classifyError } from './attempt-failure.js';
import type { OpenedSource, OpenRequest } from './transfer.js';

/** Bytes per read: large enough that the per-read cost vanishes next to hashing. */
const READ_SIZE = 1024 * 1024;

/** Opens the file at `req.url` at `req.offset`. */
export async function openFile(req: OpenRequest): Promise<OpenedSource> {
  let handle: FileHandle;
  try {
    handle = await open(fileURLToPath(req.url), 'r');
  } catch (err) {
    throw classifyError(err, false);
  }
  let size: number;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new AttemptFailure('ERR_NOT_READABLE', 'response', 'mirror-done', `${redactUrl(req.url)} is not a regular file`);
    size = stat.size;
    if (req.offset > size) {
      throw new AttemptFailure('ERR_RANGE_NOT_SATISFIABLE', 'response', 'retry', `the file is ${size} bytes, shorter than the ${req.offset} already held`, { resetPartial: true, heldDisagrees: true });
    }
    if (req.offset > 0 && req.expectedTotal !== undefined && size !== req.expectedTotal) {
      throw new AttemptFailure('ERR_BAD_CONTENT_RANGE', 'response', 'retry', `the file is ${size} bytes, the bytes held say ${req.expectedTotal}`, { resetPartial: true, heldDisagrees: true });
    }
  } catch (err) {
    await handle.close().catch(() => {});
    throw classifyError(err, false);
  }
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    handle.close().catch(() => {});
  };
  return {
    restarted: false,
    length: size - req.offset,
    url: redactUrl(req.url),
    async read(onData) {
      const buffer = Buffer.allocUnsafe(READ_SIZE);
      let position = req.offset;
      try {
        for (;;) {
          if (req.signal.aborted) throw req.signal.reason;
          const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, position);
          if (bytesRead === 0) return;
          position += bytesRead;
          const pause = onData(buffer.subarray(0, bytesRead));
          if (pause) await pause;
        }
      } finally {
        close();
      }
    },
    discard: close,
  };
}
