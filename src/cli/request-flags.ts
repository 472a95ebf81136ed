/**
 * `rpmfetch get`'s flags for what every request carries: `--header`, `--header-file`, `--username`,
 * `--password`, `--password-file` (and `RPMFETCH_PASSWORD`), and the mirror failure cap
 * `--max-mirror-failures`.
 * Flag values are taken as strings and checked here, not by commander: its messages quote the value,
 * and a header or password must never reach stderr (README, "Credentials and extra headers").
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import type { DownloaderOptions } from '../client/options.js';
import { InvalidOptionError } from '../errors.js';

/** The flags of this module, as commander hands them over. */
export interface RequestFlags {
  header: string[];
  headerFile?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  maxMirrorFailures?: number;
}

/** The environment variable read for the password when `--username` comes without one. */
export const PASSWORD_ENV = 'RPMFETCH_PASSWORD';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** Registers the flags on `get`. */
export function addRequestFlags(command: Command): Command {
  return command
    .option('--header <"Name: value">', 'extra request header for every request to a mirror (not after a redirect to another origin, never to a proxy); repeat for several; visible to other users in the process list: put secret ones in --header-file', collect, [])
    .option('--header-file <file>', 'read more headers like --header from a file, one "Name: value" per line (blank lines and lines starting with # skipped)')
    .option('--username <name>', 'HTTP Basic user name for every mirror (a mirror URL\'s own user:password@ wins)')
    .option('--password <password>', `password for --username; visible to other users in the process list: prefer --password-file or ${PASSWORD_ENV}`)
    .option('--password-file <file>', 'read the password for --username from the first line of a file')
    .option('--max-mirror-failures <n>', 'drop a mirror that has served nothing once this many of its attempts failed (librepo\'s allowedmirrorfailures); 0: never (default)', wholeNumber);
}

/** A header line and where it was given, for messages that must not quote it. */
interface HeaderLine {
  readonly text: string;
  readonly where: string;
}

/** The text of a file a flag names; a usage error naming the flag and file (never a line of it) when unreadable. */
async function flagFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidOptionError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`);
  }
}

/** The lines of every `--header`, then of `--header-file`. */
async function headerLines(flags: RequestFlags): Promise<HeaderLine[]> {
  const lines = flags.header.map((text, i) => ({ text, where: `--header number ${i + 1}` }));
  if (flags.headerFile === undefined) return lines;
  const text = await flagFile('--header-file', flags.headerFile);
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() !== '' && !line.trimStart().startsWith('#')) lines.push({ text: line, where: `--header-file ${flags.headerFile} line ${i + 1}` });
  });
  return lines;
}

/** `Name: value` lines as a header record; messages say where a line was given, never its text. */
function headersFromLines(lines: readonly HeaderLine[]): Record<string, string> | undefined {
  if (lines.length === 0) return undefined;
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const { text, where } of lines) {
    const colon = text.indexOf(':');
    const name = colon > 0 ? text.slice(0, colon).trim() : '';
    if (!name) throw new InvalidOptionError(`${where} is not "Name: value"`);
    if (seen.has(name.toLowerCase())) throw new InvalidOptionError(`${where}: "${name}" is given twice`);
    seen.add(name.toLowerCase());
    headers[name] = text.slice(colon + 1).trim();
  }
  return headers;
}

/** The password of `--password`, `--password-file` or the environment (in that order), if any. */
async function passwordFromFlags(flags: RequestFlags, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (flags.password !== undefined && flags.passwordFile !== undefined) throw new InvalidOptionError('give --password or --password-file, not both');
  if (flags.passwordFile !== undefined) {
    // The first line, its line end not part of the password.
    return (await flagFile('--password-file', flags.passwordFile)).split(/\r?\n/, 1)[0] ?? '';
  }
  if (flags.password !== undefined) return flags.password;
  return flags.username !== undefined ? env[PASSWORD_ENV] : undefined;
}

/** The download options of these flags; throws {@link InvalidOptionError} without quoting a value. */
export async function requestOptionsFromFlags(flags: RequestFlags, env: NodeJS.ProcessEnv = process.env): Promise<Pick<DownloaderOptions, 'headers' | 'username' | 'password' | 'maxMirrorFailures'>> {
  const headers = headersFromLines(await headerLines(flags));
  const password = await passwordFromFlags(flags, env);
  if (password !== undefined && flags.username === undefined) throw new InvalidOptionError('--password and --password-file need --username');
  return {
    ...(headers && { headers }),
    ...(flags.username !== undefined && { username: flags.username }),
    ...(password !== undefined && { password }),
    ...(flags.maxMirrorFailures !== undefined && { maxMirrorFailures: flags.maxMirrorFailures }),
  };
}
