/** What a successful download returns. */
import type { Placement } from '../cache/placement.js';
import type { Attempt } from '../errors.js';
import type { PackageIdentity } from '../rpm/nevra.js';
import type { SignatureInfo } from '../rpm/signatures.js';
import type { Verdict } from '../rpm/verdict.js';

/** A verified package in place. */
export interface DownloadResult {
  /** Absolute path of the verified file. */
  readonly file: string;
  /**
   * URL it came from (after redirects); a `file:` URL of the destination when `cached` is true, of the
   * store's content file when it is `'store'`.
   */
  readonly url: string;
  /** Mirror base that served the last bytes; `cache` when an existing file was used, `store` when the package store was. */
  readonly mirror: string;
  /** File size in bytes. */
  readonly size: number;
  /**
   * `false`: downloaded. `true`: an existing destination file verified and was kept (`reuse`).
   * `'store'`: placed from the package store (`cache`); `placement` says how.
   */
  readonly cached: boolean | 'store';
  /** How a package from the store was placed: `link` (hard link), `clone` (copy-on-write) or `copy`. */
  readonly placement?: Placement;
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
