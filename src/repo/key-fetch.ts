/**
 * A repository's `gpgkey` URLs read into a Keyring: file:// URLs from the disk, http(s):// ones through
 * the same attempt runner as metadata (retries, stall detection, the Downloader's proxy and TLS),
 * each held to {@link KEY_MAX_BYTES}. A key fetched over https is as trustworthy as the server that
 * serves it, as it is for dnf: the README says so.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError, type Attempt } from '../errors.js';
import { normalizeTarget } from '../fetch/target.js';
import { redactUrl } from '../transport/redact.js';
import { Keyring } from '../rpm/keyring.js';
import { fetchMetadata, wholeFile, type MetadataContext } from './metadata-fetch.js';

/** The largest key file read: distributions' key files are a few kB (Fedora's bundle of all of them, 100 kB). */
export const KEY_MAX_BYTES = 1024 * 1024;

async function readLocal(url: URL): Promise<Buffer> {
  const path = fileURLToPath(url);
  try {
    if ((await stat(path)).size > KEY_MAX_BYTES) throw new Error(`larger than ${KEY_MAX_BYTES} bytes`);
    return await readFile(path);
  } catch (err) {
    throw new InvalidOptionError(`cannot read key ${path}: ${(err as Error).message}`);
  }
}

/** Reads every key URL; rejects with `InvalidOptionError` for an unreadable or invalid key, or the fetch's `DownloadError`. */
export async function fetchKeys(urls: readonly string[], context: MetadataContext, signal?: AbortSignal): Promise<{ keyring: Keyring; attempts: readonly Attempt[] }> {
  const sources: Buffer[] = [];
  const attempts: Attempt[] = [];
  for (const text of urls) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidOptionError(`gpgkey ${redactUrl(text)} is not a URL (file:///…, https://…)`);
    }
    if (url.protocol === 'file:') {
      sources.push(await readLocal(url));
      continue;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidOptionError(`gpgkey ${redactUrl(text)}: only file, http and https keys are read`);
    const target = normalizeTarget({ path: url.href, file: 'gpgkey' });
    const fetched = await fetchMetadata({ target, expect: { maxBytes: KEY_MAX_BYTES }, decompress: false, sink: wholeFile((bytes) => bytes) }, context, signal);
    attempts.push(...fetched.attempts);
    sources.push(fetched.value);
  }
  return { keyring: await Keyring.read(sources, urls.map(redactUrl)), attempts };
}
