/**
 * `--metadata-expire` and `--cacheonly` of `rpmfetch get`: how long stored repository metadata is used
 * without asking a mirror, and resolving and placing from the cache alone (README, "Repositories").
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { DownloaderOptions } from '../client/options.js';
import { parseSeconds } from '../repo/repo-file.js';

/** The flags as commander hands them over. */
export interface MetadataCacheFlags {
  /** Seconds; -1: never. */
  metadataExpire?: number;
  cacheonly?: boolean;
}

/** dnf's metadata_expire syntax: seconds with an optional s, m, h or d unit; `never` or -1. */
function expireSeconds(value: string): number {
  const parsed = parseSeconds(value.trim());
  if (typeof parsed === 'string') throw new InvalidArgumentError(`${parsed} (seconds with an optional s, m, h or d unit; "never" or -1)`);
  return parsed;
}

/** Registers the flags on a command. */
export function addMetadataCacheFlags(command: Command): Command {
  return command
    .option('--metadata-expire <time>', 'with --cache: how long stored repository metadata is used without asking a mirror, as dnf\'s metadata_expire (seconds, or with s, m, h, d; "never" or -1) (default 48h)', expireSeconds)
    .option('--cacheonly', 'resolve and place from --cache alone, with no request to any mirror; what the cache lacks fails with ERR_NOT_CACHED');
}

/** The Downloader options of the flags; seconds become milliseconds here. */
export function metadataCacheOptions(flags: MetadataCacheFlags): Pick<DownloaderOptions, 'metadataExpire' | 'cacheOnly'> {
  return {
    ...(flags.metadataExpire !== undefined && { metadataExpire: flags.metadataExpire < 0 ? -1 : flags.metadataExpire * 1000 }),
    ...(flags.cacheonly && { cacheOnly: true }),
  };
}
