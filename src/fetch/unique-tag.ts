/**
 * The `<pid>-<12 hex digits>` part that makes this process's temporary and private names unique
 * (temporary files, the store's facts and copies, lock owner files). The random part comes from a pool
 * refilled 4 KiB at a time: one `randomBytes` call per name cost about 20 µs of the main thread, a few
 * per package of a batch through the store.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
const TAG_BYTES = 6;
let pool = Buffer.alloc(0);
let at = 0;

/** `<pid>-<12 random hex digits>`: never the same twice in practice, and not guessable by others. */
export function uniqueTag(): string {
  if (at + TAG_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    at = 0;
  }
  const hex = pool.toString('hex', at, at + TAG_BYTES);
  at += TAG_BYTES;
  return `${process.pid}-${hex}`;
}
