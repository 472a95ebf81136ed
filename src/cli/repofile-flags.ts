/**
 * `rpmfetch get --repofile F [--repoid ID] [--releasever V] [--setvar N=V] [--varsdir D] NAME…`: the
 * repositories of .repo files, with dnf's variables (README, "Using your .repo files").
 */
import type { Command } from 'commander';
import { InvalidOptionError } from '../errors.js';
import type { RepoSet, RepoSetOptions } from '../client/repo-set.js';
import { loadRepoFiles, selectRepos } from '../repo/repo-file.js';
import { loadRepoVars, parseSetvar } from '../repo/repo-vars.js';

/** The flags, as commander hands them over. */
export interface RepoFileFlags {
  repofile: string[];
  repoid: string[];
  releasever?: string;
  setvar: string[];
  varsdir: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function addRepoFileFlags(command: Command): Command {
  return command
    .option('--repofile <file|dir>', 'a .repo file, or a directory of them (as /etc/yum.repos.d); repeatable; arguments are package names resolved across its repositories', collect, [])
    .option('--repoid <id>', 'with --repofile: use this repository (globs allowed; repeatable; default: every enabled one)', collect, [])
    .option('--releasever <version>', 'with --repofile: $releasever')
    .option('--setvar <NAME=VALUE>', 'with --repofile: a variable for the .repo files (repeatable)', collect, [])
    .option('--varsdir <dir>', 'with --repofile: a directory of variables in /etc/dnf/vars layout (repeatable; later wins)', collect, []);
}

/** Whether the command line uses .repo files; checks the flags that only go with them. */
export function usesRepoFiles(flags: Partial<RepoFileFlags>): boolean {
  const files = (flags.repofile ?? []).length > 0;
  if (!files && ((flags.repoid ?? []).length > 0 || flags.releasever !== undefined || (flags.setvar ?? []).length > 0 || (flags.varsdir ?? []).length > 0)) {
    throw new InvalidOptionError('--repoid, --releasever, --setvar and --varsdir apply to --repofile');
  }
  return files;
}

/** Reads the files with their variables and opens the repositories chosen. */
export async function openReposFromFlags(flags: RepoFileFlags, options: RepoSetOptions): Promise<RepoSet> {
  const set = flags.setvar.map(parseSetvar);
  const vars = await loadRepoVars({ varsDirs: flags.varsdir, set, ...(flags.releasever !== undefined && { releasever: flags.releasever }) });
  const configs = selectRepos(await loadRepoFiles(flags.repofile, { vars }), flags.repoid);
  if (configs.length === 0) throw new InvalidOptionError(`no enabled repository in ${flags.repofile.join(', ')} (name one with --repoid)`);
  const { openRepos } = await import('../client/repo-set.js');
  return openRepos(configs, options);
}
