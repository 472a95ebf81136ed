/** What a successful download returns. */
import type { Attempt } from '../errors.js';
import type { PackageIdentity } from '../rpm/nevra.js';
import type { SignatureInfo } from '../rpm/signatures.js';
import type { Verdict } from '../rpm/verdict.js';

/** A verified package in place. */
export interface DownloadResult {
  /** Absolute path of the verified file. */
  readonly file: string;
  /** URL it came from (after redirects); a `file:` URL of the destination when `cached`. */
  readonly url: string;
  /** Mirror base that served the last bytes; `cache` when an existing file was used. */
  readonly mirror: string;
  /** File size in bytes. */
  readonly size: number;
  /** True when an existing destination file verified and nothing was downloaded. */
  readonly cached: boolean;
  /** Every attempt made, the successful one last (empty when cached). */
  readonly attempts: readonly Attempt[];
  /** Who the package says it is. */
  readonly rpm: Pick<PackageIdentity, 'name' | 'epoch' | 'version' | 'release' | 'arch' | 'buildArch' | 'source' | 'nevra'>;
  /** Digests computed while verifying, hex, keyed `range:algorithm` (see {@link Verdict.digests}). */
  readonly digests: Readonly<Record<string, string>>;
  /** Signatures found in the package. */
  readonly signatures: readonly SignatureInfo[];
  /** The full verdict: every check. */
  readonly verdict: Verdict;
}
