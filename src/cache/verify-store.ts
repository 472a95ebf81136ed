/**
 * `verify` of the whole store: every content file read in full by the verifier (every digest, and with
 * keys every signature), its SHA-256 compared with its content address. A bad one is removed
 * (remove-entry.ts: readers placing it meanwhile keep whole bytes or fall back to the mirror). An entry
 * that disappears while being read (another process pruned or cleared it) is reported gone, not bad.
 */
import { FileReadError } from '../errors.js';
import type { Keyring } from '../rpm/keyring.js';
import type { VerifierTuning } from '../rpm/verifier.js';
import { verifyFileWith } from '../rpm/verify-file.js';
import { listStore, type StoreEntry } from './entries.js';
import { removeDangling, removeEntry } from './remove-entry.js';

/** What `verify` found of one entry. */
export interface VerifiedEntry {
  /** The entry, as listed before the verification. */
  readonly entry: StoreEntry;
  /** `ok` intact and verified; `bad` removed; `gone` removed by someone else while it was read. */
  readonly status: 'ok' | 'bad' | 'gone';
  /** For `bad`: the verifier's code (or `ERR_CONTENT_ADDRESS` for bytes whose SHA-256 is not their name). */
  readonly code?: string;
  /** For `bad`: why, in words. */
  readonly message?: string;
}

/** What `verify` did. */
export interface StoreVerifyReport {
  /** Entries read. */
  readonly checked: number;
  /** Entries that did not verify, removed. */
  readonly bad: number;
  /** Entries removed by another process while they were read. */
  readonly gone: number;
  /** Index names removed because their content was gone. */
  readonly dangling: number;
}

/** Options of a store verification. */
export interface StoreVerifyOptions {
  /** Trusted keys: an entry not validly signed by one of them is bad too. */
  readonly keys?: Keyring;
  /** Called with each entry's outcome as it is known. */
  readonly onEntry?: (result: VerifiedEntry) => void;
  /** Stops the verification between entries. */
  readonly signal?: AbortSignal;
}

async function check(entry: StoreEntry, options: StoreVerifyOptions, tuning: VerifierTuning): Promise<VerifiedEntry> {
  try {
    // The content file's name is its address, not a package name: no file-name check.
    const verdict = await verifyFileWith(entry.file, { fileName: false, fileDigests: ['sha256'], ...(options.keys && { keys: options.keys }) }, tuning);
    const sha256 = verdict.digests['file:sha256'];
    if (!verdict.ok) return { entry, status: 'bad', code: verdict.error?.code ?? 'ERR_VERIFY', message: verdict.error?.message ?? 'does not verify' };
    if (sha256 !== entry.sha256) return { entry, status: 'bad', code: 'ERR_CONTENT_ADDRESS', message: `its SHA-256 is ${sha256 ?? 'unknown'}, not the ${entry.sha256} it is stored as` };
    return { entry, status: 'ok' };
  } catch (err) {
    if (err instanceof FileReadError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { entry, status: 'gone' };
    throw err;
  }
}

/** Verifies every entry of the store at `dir`; see the module comment. */
export async function verifyStore(dir: string, options: StoreVerifyOptions = {}, tuning: VerifierTuning = {}): Promise<StoreVerifyReport> {
  const { entries, dangling } = await listStore(dir);
  await removeDangling(dangling);
  let bad = 0;
  let gone = 0;
  for (const entry of entries) {
    options.signal?.throwIfAborted();
    const result = await check(entry, options, tuning);
    if (result.status === 'bad') {
      bad++;
      await removeEntry(dir, entry);
    } else if (result.status === 'gone') gone++;
    options.onEntry?.(result);
  }
  return { checked: entries.length, bad, gone, dangling: dangling.length };
}
