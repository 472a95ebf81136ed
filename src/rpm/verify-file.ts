/**
 * Verifies a package on disk by streaming it once through the verifier.
 */
import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { FileReadError } from '../errors.js';
import { RpmVerifier, type VerifierTuning, type VerifyOptions } from './verifier.js';
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
export function verifyFile(path: string, options: VerifyOptions = {}): Promise<Verdict> {
  return verifyFileWith(path, options, {});
}

/**
 * {@link verifyFile} with `tuning`: hash workers lent by their owner (a Downloader), what else the
 * thread does.
 * @internal
 */
export async function verifyFileWith(path: string, options: VerifyOptions, tuning: VerifierTuning): Promise<Verdict> {
  const fileName = options.fileName === undefined ? basename(path) : options.fileName;
  const verifier = new RpmVerifier({ ...options, fileName }, tuning);
  try {
    const file = await open(path, 'r');
    try {
      // Two buffers, reused: no garbage piles up (a gigabyte of fresh 1 MiB buffers costs tens of MB
      // of RSS). The next read runs on the thread pool while the verifier hashes the current chunk,
      // unless the hashing went to a worker on a machine of two cores: then this thread has time to
      // spare, and a pool thread reading would take turns with the worker on its core (MD5 there is
      // the whole wall time; reading here instead made a 1 GiB verify 5-9 % faster).
      const readHere = availableParallelism() < 3;
      const buffers = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)];
      let current = 0;
      let position = 0;
      let ahead: Promise<{ bytesRead: number }> | undefined = file.read(buffers[0] as Buffer, 0, READ_CHUNK, position);
      for (;;) {
        const buffer = buffers[current] as Buffer;
        const bytesRead = ahead ? (await ahead).bytesRead : readSync(file.fd, buffer, 0, READ_CHUNK, position);
        // Once the structure is known broken, the rest of the file cannot change the verdict.
        if (bytesRead === 0 || verifier.failure?.check === 'structure') break;
        position += bytesRead;
        current ^= 1;
        ahead = readHere && verifier.offloaded ? undefined : file.read(buffers[current] as Buffer, 0, READ_CHUNK, position);
        // Resolves once the verifier is done with the chunk, so its buffer may be read into again.
        await write(verifier, buffer.subarray(0, bytesRead));
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
