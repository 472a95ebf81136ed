/**
 * Koji's storage layout (koji's `PathInfo`), relative to its top URL (`https://kojipkgs.fedoraproject.org/`
 * or a `file://` mount of `/mnt/koji`), and download targets built from koji's RPM info: the
 * `payloadhash` koji records is the package's MD5 of header + payload (signature tag 1004), which
 * signing does not change, so it checks signed copies too. Koji's `size` is the imported (usually
 * unsigned) copy's; a signed copy may differ (rpm since 4.14 signs into reserved space and keeps the
 * size, older signers and bigger signatures do not), so a signed target leaves the size to the package.
 *
 * ```
 * packages/N/V/R/ARCH/N-V-R.ARCH.rpm                      the build's own copy
 * packages/N/V/R/data/signed/KEYID/ARCH/N-V-R.ARCH.rpm    a copy signed by KEYID
 * vol/VOLUME/packages/…                                   the same, on another volume
 * work/tasks/ID%10000/ID/FILE                             a task's output (scratch builds)
 * repos/TAG/REPO_ID/ARCH/                                 a buildroot repository (use with `resolve`)
 * ```
 */
import { InvalidOptionError } from '../errors.js';
import type { Target } from '../fetch/target.js';

/** The fields of koji's RPM info (`getRPM`, `listRPMs`) that locate and check a package. */
export interface KojiRpmInfo {
  /** Package name. */
  readonly name: string;
  /** Version. */
  readonly version: string;
  /** Release. */
  readonly release: string;
  /** `x86_64`, `noarch`, `src`, … */
  readonly arch: string;
  /** Koji gives `null` for no epoch. */
  readonly epoch?: number | null;
  /** Hex MD5 of header + payload (the package's sigmd5). */
  readonly payloadhash?: string;
  /** Size of the unsigned copy koji imported, in bytes. */
  readonly size?: number;
}

/** Where a koji package lives. */
export interface KojiPathOptions {
  /**
   * Key ID of a signed copy (`data/signed/KEYID/…`), 8 hex digits as koji names it (`a15b79cc`);
   * upper case is accepted and lowered.
   */
  sigkey?: string;
  /** Storage volume of the build (`volume_name` in koji's build info); `DEFAULT` is the main one. */
  volume?: string;
}

/** A path component from koji's data: no separators, no dot segments, no control characters. */
function component(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..' || /[/\\\0-\x1f\x7f]/.test(value)) {
    throw new InvalidOptionError(`koji ${what} "${String(value)}" cannot be a path component`);
  }
  return value;
}

function volumePrefix(volume: string | undefined): string {
  return volume === undefined || volume === 'DEFAULT' ? '' : `vol/${component(volume, 'volume')}/`;
}

function sigkeyOf(sigkey: string): string {
  const key = sigkey.toLowerCase();
  if (!/^[0-9a-f]{8}$/.test(key)) throw new InvalidOptionError(`koji sigkey "${sigkey}" is not an 8-digit hex key ID`);
  return key;
}

/** A build's directory: `packages/N/V/R` (under `vol/VOLUME/` for another volume). */
export function kojiBuildPath(build: { name: string; version: string; release: string }, volume?: string): string {
  return `${volumePrefix(volume)}packages/${component(build.name, 'name')}/${component(build.version, 'version')}/${component(build.release, 'release')}`;
}

/** A package's file name as koji stores it: `N-V-R.ARCH.rpm`. */
export function kojiRpmFileName(rpm: KojiRpmInfo): string {
  return `${component(rpm.name, 'name')}-${component(rpm.version, 'version')}-${component(rpm.release, 'release')}.${component(rpm.arch, 'arch')}.rpm`;
}

/** A package's path: the build's copy, or the copy signed by `sigkey`. */
export function kojiRpmPath(rpm: KojiRpmInfo, options: KojiPathOptions = {}): string {
  const signed = options.sigkey !== undefined ? `data/signed/${sigkeyOf(options.sigkey)}/` : '';
  return `${kojiBuildPath(rpm, options.volume)}/${signed}${component(rpm.arch, 'arch')}/${kojiRpmFileName(rpm)}`;
}

/** A task's work directory, `work/tasks/ID%10000/ID`, or a file in it. */
export function kojiTaskPath(taskId: number, fileName?: string): string {
  if (!Number.isSafeInteger(taskId) || taskId <= 0) throw new InvalidOptionError(`koji task id ${taskId} is not a positive integer`);
  const dir = `work/tasks/${taskId % 10000}/${taskId}`;
  return fileName === undefined ? dir : `${dir}/${component(fileName, 'file name')}`;
}

/** A buildroot repository's directory, `repos/TAG/REPO_ID/ARCH` (`latest` for the current one). */
export function kojiRepoPath(tag: string, repoId: number | 'latest', arch: string): string {
  if (repoId !== 'latest' && (!Number.isSafeInteger(repoId) || repoId <= 0)) throw new InvalidOptionError(`koji repo id ${repoId} is not a positive integer or "latest"`);
  return `repos/${component(tag, 'tag')}/${repoId}/${component(arch, 'arch')}`;
}

/**
 * A download target for a koji package: its path, its NEVRA, koji's `payloadhash` as the sigmd5 to
 * match, and its size, which only the build's own copy has (a signed copy carries a larger signature
 * header, so its size is left to the package's own SIZE tag).
 */
export function kojiTarget(rpm: KojiRpmInfo, options: KojiPathOptions = {}): Target {
  const epoch = rpm.epoch ?? undefined;
  const nevra = `${rpm.name}-${epoch !== undefined ? `${epoch}:` : ''}${rpm.version}-${rpm.release}.${rpm.arch}`;
  const target: Target = { path: kojiRpmPath(rpm, options), nevra };
  if (rpm.payloadhash !== undefined) {
    if (!/^[0-9a-fA-F]{32}$/.test(rpm.payloadhash)) throw new InvalidOptionError(`koji payloadhash "${rpm.payloadhash}" is not a hex MD5`);
    target.sigmd5 = rpm.payloadhash.toLowerCase();
  }
  if (rpm.size !== undefined && options.sigkey === undefined) target.size = rpm.size;
  return target;
}
