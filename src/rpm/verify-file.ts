/**
 * Verifies a package on disk by streaming it once through the verifier.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { FileReadError } from '../errors.js';
import { prewarmHashWorkers } from './hash-worker-pool.js';
import { OFFLOAD_MIN_BYTES } from './stream-hasher.js';
import { createVerifier, type RpmVerifier, type VerifyOptions } from './verifier.js';
import type { Verdict } from './verdict.js';

/** Read size: large reads keep the per-chunk overhead negligible next to hashing. */
const READ_CHUNK = 1024 * 1024;

function write(verifier: RpmVerifier, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    verifier.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Verifies the package at `path`. The file name's N-V-R(.A) is checked against the header unless
 * `options.fileName` is `false` (or another name is given). Rejects with {@link FileReadError}
 * (`ERR_FILE_UNREADABLE`) when the file cannot be read; a bad package resolves with a failed verdict.
 */
export async function verifyFile(path: string, options: VerifyOptions = {}): Promise<Verdict> {
  const fileName = options.fileName === undefined ? basename(path) : options.fileName;
  const verifier = createVerifier({ ...options, fileName });
  try {
    const file = await open(path, 'r');
    try {
      if (options.offload !== false && (await file.stat()).size >= OFFLOAD_MIN_BYTES) prewarmHashWorkers();
      // Two buffers, reused: the next read runs on the thread pool while the verifier hashes the
      // current one, and no garbage piles up (a gigabyte of fresh 1 MiB buffers costs tens of MB of RSS).
      const buffers = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)];
      let current = 0;
      let pending = file.read(buffers[0] as Buffer, 0, READ_CHUNK, null);
      for (;;) {
        const { bytesRead } = await pending;
        // Once the structure is known broken, the rest of the file cannot change the verdict.
        if (bytesRead === 0 || verifier.failure?.check === 'structure') break;
        const chunk = (buffers[current] as Buffer).subarray(0, bytesRead);
        current ^= 1;
        pending = file.read(buffers[current] as Buffer, 0, READ_CHUNK, null);
        // Resolves once the verifier is done with the chunk, so its buffer may be read into again.
        await write(verifier, chunk);
      }
    } finally {
      await file.close();
    }
  } catch (err) {
    verifier.destroy();
    throw new FileReadError(path, err);
  }
  verifier.end();
  return verifier.verdict();
}
