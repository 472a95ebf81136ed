/**
 * The system tools tests use as real parts (rpm, nginx, createrepo_c, tinyproxy, …): whether they are
 * here, and the reason a test skips when one is not. Under CI a missing tool is an error instead of a
 * skip: `.ci/run` installs them all, so a skip there would hide a missing install step.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** True when `command` is on the PATH. */
export function have(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The first of `paths` that exists (daemons live in sbin, off a normal user's PATH). */
export function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

/** Why tests needing `what` (from Debian's `debianPackages`) cannot run, or undefined when `available`. */
export function missing(available: boolean, what: string, debianPackages: string): string | undefined {
  if (available) return undefined;
  if (process.env.CI === 'true') throw new Error(`CI must provide ${what} (.ci/run installs ${debianPackages})`);
  return `needs ${what} (Debian ${debianPackages}; .ci/run installs it)`;
}
