/**
 * Verifies a package on disk by streaming it once through the verifier.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FileReadError } from '../errors.js';
import { createVerifier, type VerifyOptions } from './verifier.js';
import type { Verdict } from './verdict.js';

/** Read size: large reads keep the per-chunk overhead negligible next to hashing. */
const READ_CHUNK = 1024 * 1024;

/**
 * Verifies the package at `path`. The file name's N-V-R(.A) is checked against the header unless
 * `options.fileName` is `false` (or another name is given). Rejects with {@link FileReadError}
 * (`ERR_FILE_UNREADABLE`) when the file cannot be read; a bad package resolves with a failed verdict.
 */
export async function verifyFile(path: string, options: VerifyOptions = {}): Promise<Verdict> {
  const fileName = options.fileName === undefined ? basename(path) : options.fileName;
  const verifier = createVerifier({ ...options, fileName });
  try {
    await pipeline(createReadStream(path, { highWaterMark: READ_CHUNK }), verifier);
  } catch (err) {
    throw new FileReadError(path, err);
  }
  return verifier.verdict();
}
