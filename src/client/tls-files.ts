/**
 * The `tls` option read from files, as the command line (`--ca`, `--client-cert`, `--client-key`) and
 * .repo files (`sslcacert`, `sslclientcert`, `sslclientkey`) name them: a client certificate goes with
 * its key, and a file that cannot be read is a usage error saying which setting named it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors.js';
import type { TlsOptions } from './options.js';

/** Paths (or file:// URLs, as some .repo files write them) of the TLS files. */
export interface TlsFiles {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/**
 * Reads the files named. `names` are the caller's names of the settings (`--ca` or `sslcacert`), and
 * `where` what goes before a message about one (`fedora.repo:7: [updates] `, or nothing).
 */
export async function readTlsFiles(files: TlsFiles, names: Readonly<Record<keyof TlsFiles, string>>, where: (which: keyof TlsFiles) => string = () => ''): Promise<TlsOptions> {
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new InvalidOptionError(`${where(files.cert === undefined ? 'key' : 'cert')}${names.cert} and ${names.key} go together`);
  }
  const read = async (which: keyof TlsFiles, value: string): Promise<Buffer> => {
    const path = value.startsWith('file://') ? fileURLToPath(value) : value;
    try {
      return await readFile(path);
    } catch (err) {
      throw new InvalidOptionError(`${where(which)}${names[which]} ${path}: ${(err as Error).message}`);
    }
  };
  return {
    ...(files.ca !== undefined && { ca: await read('ca', files.ca) }),
    ...(files.cert !== undefined && { cert: await read('cert', files.cert) }),
    ...(files.key !== undefined && { key: await read('key', files.key) }),
  };
}
