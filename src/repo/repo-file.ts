/**
 * dnf's `.repo` files: the INI dialect of libdnf5's `IniParser` and the repository keys of its
 * `ConfigRepo`, with dnf's meanings and defaults.
 *
 * The dialect, as dnf reads it:
 * - `[id]` starts a section (text after the `]` may only be a `#`/`;` comment); every section but
 *   `[main]` is a repository; `key=value`, with blanks around the `=` ignored; a line starting with
 *   `#` or `;` (in the first column) is a comment, and there are no comments after a value;
 * - a line starting with blanks continues the previous value on a new line (`baseurl=` followed by
 *   indented URLs); an empty line or a comment ends it; a value wrapped whole in `"…"` or `'…'` loses
 *   the quotes;
 * - a key given twice in a section keeps the last value; lists (`baseurl`, `gpgkey`, `includepkgs`,
 *   `excludepkgs`) are split at commas, blanks and line ends (`\` escapes one); booleans are
 *   1/0, yes/no, true/false, on/off in any case.
 *
 * Where dnf only logs a warning and goes on (a value it cannot read, a repository id defined twice),
 * rpmfetch stops with a {@link RepoFileError} naming the file and line: a builder should not quietly
 * fetch from a repository configured differently than its file says.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileReadError, InvalidOptionError, RepoFileError } from '../errors.js';
import { fnmatch, isGlob } from './fnmatch.js';
import { expandUrl, substituteVars, type RepoVars } from './repo-vars.js';

/**
 * One repository of a `.repo` file, with dnf's defaults filled in. Strings are as written (variables
 * substituted when `vars` were given); optional strings are absent when the file leaves them out or
 * empty.
 */
export interface RepoConfig {
  /**
   * The repository id: the section name, with its variables substituted when `vars` were given (as dnf
   * does); without `vars`, as written.
   */
  readonly id: string;
  /** The file it came from (as given), when it came from one. */
  readonly file?: string;
  /** The line of its `[id]`. */
  readonly line: number;
  /** The line of each key the section sets (as written, `gpgcheck` and `pkg_gpgcheck` both), for messages. */
  readonly lines: Readonly<Record<string, number>>;
  /** `name`; the id when the section has none (as dnf). */
  readonly name: string;
  /** `enabled`; default true. */
  readonly enabled: boolean;
  /** `baseurl`: the mirror base URLs, in order. */
  readonly baseurl: readonly string[];
  /** `mirrorlist`: a URL answering with one mirror per line (or a metalink). */
  readonly mirrorlist?: string;
  /** `metalink`: MirrorManager's metalink URL. Wins over `mirrorlist`, which wins over `baseurl` (see {@link repoSource}). */
  readonly metalink?: string;
  /** `gpgcheck` or its newer name `pkg_gpgcheck` (the later one in the section wins): check package signatures; default false (dnf's). */
  readonly gpgcheck: boolean;
  /** `repo_gpgcheck`: check the signature of repomd.xml; default false. */
  readonly repoGpgcheck: boolean;
  /** `gpgkey`: the keys' URLs (`file:///etc/pki/rpm-gpg/…`, `https://…`). */
  readonly gpgkey: readonly string[];
  /** `sslverify`: verify the servers' TLS certificates; default true. */
  readonly sslverify: boolean;
  /** `sslcacert`: file of CA certificates to verify servers with. */
  readonly sslcacert?: string;
  /** `sslclientcert`: client certificate file. */
  readonly sslclientcert?: string;
  /** `sslclientkey`: client key file. */
  readonly sslclientkey?: string;
  /** `proxy`: the proxy URL; `false` when the file disables it (`proxy=_none_` or `proxy=`); absent when not set. */
  readonly proxy?: string | false;
  /** `proxy_username`. */
  readonly proxyUsername?: string;
  /** `proxy_password`. */
  readonly proxyPassword?: string;
  /** `username` for the repository's servers. */
  readonly username?: string;
  /** `password` for the repository's servers. */
  readonly password?: string;
  /** `timeout` in seconds (dnf: the time a connection may go without progress); default 30. */
  readonly timeout: number;
  /** `minrate` in bytes per second (`k`, `M`, `G` suffixes, 1024-based, as dnf reads them); default 1000. */
  readonly minrate: number;
  /** `max_parallel_downloads`; default 3. */
  readonly maxParallelDownloads: number;
  /** `skip_if_unavailable`: a repository that cannot be reached is skipped with a warning; default false (dnf5's). */
  readonly skipIfUnavailable: boolean;
  /** `priority`: lower wins (see `chooseAcrossRepos`); default 99. */
  readonly priority: number;
  /** `cost`: lower wins between equal versions; default 1000. */
  readonly cost: number;
  /** `includepkgs`: when not empty, only packages matching one of these globs are taken from the repository. */
  readonly includepkgs: readonly string[];
  /** `excludepkgs` (and its old name `exclude`, appended): packages matching one of these globs are never taken from it. */
  readonly excludepkgs: readonly string[];
  /** `metadata_expire` in seconds (`never` or `-1` is -1; `s`, `m`, `h`, `d` suffixes); default 172800 (48 h). */
  readonly metadataExpire: number;
  /** Every other key, as written (`type`, `countme`, `enabled_metadata`, …): kept, not used. */
  readonly extra: Readonly<Record<string, string>>;
}

/** Options for {@link parseRepoFile}. */
export interface ParseRepoFileOptions {
  /** The file's name, for messages and {@link RepoConfig.file}. */
  readonly file?: string;
  /**
   * Variables to substitute in every value, as dnf does when it loads a file (see `loadRepoVars`). The
   * URL keys (`baseurl`, `mirrorlist`, `metalink`, `gpgkey`, `proxy`) and the certificate paths must
   * then resolve fully: a variable without a value there is a `RepoVariableError`. Without `vars`,
   * values are kept as written (expand URLs later with `expandUrl`).
   */
  readonly vars?: RepoVars;
}

/** One section as the INI layer reads it. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
  /** Keys in first-seen order; a repeated key replaces the value in place (dnf's PreserveOrderMap). */
  readonly entries: Map<string, { value: string; line: number }>;
}

/** Characters dnf allows in a repository id. */
const REPOID = /^[A-Za-z0-9\-_.:]+$/;

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r';

/** The index of the `]` closing a section name that starts at `from`, skipping `[…]` inside it; -1 if none. */
function sectionEnd(line: string, from: number): number {
  let range = false;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (c === ']') {
      if (range) range = false;
      else return i;
    } else if (c === '[') range = true;
    else if (c === '\n' || c === '\r' || c === '\0') return -1;
  }
  return -1;
}

/**
 * dnf's IniParser: sections and their key/value pairs, with line numbers (the layer under
 * {@link parseRepoFile}, exported for tests).
 *
 * @internal
 */
export function parseIni(text: string, file?: string): IniSection[] {
  const sections: IniSection[] = [];
  const fail = (message: string, line: number): never => {
    throw new RepoFileError(message, { file, line });
  };
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let section: IniSection | undefined;
  let pending: { key: string; value: string; line: number } | undefined;
  const finish = (): void => {
    if (!pending || !section) return;
    let value = pending.value.replace(/\n+$/, '');
    if (value.length > 1 && value[0] === value[value.length - 1] && (value[0] === '"' || value[0] === "'")) value = value.slice(1, -1);
    section.entries.set(pending.key, { value, line: pending.line });
    pending = undefined;
  };
  for (let index = 0; index < lines.length; index++) {
    const number = index + 1;
    let line = (lines[index] ?? '').replace(/\r$/, '');
    if (number === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line === '' || line[0] === '#' || line[0] === ';') {
      finish();
      continue;
    }
    let start = 0;
    while (start < line.length && isBlank(line[start])) start++;
    if (start === line.length) {
      // A blank line inside a value adds an empty line to it (trimmed at the end); otherwise nothing.
      if (pending) pending.value += '\n';
      continue;
    }
    let end = line.length - 1;
    while (isBlank(line[end])) end--;
    if (pending && (start === 0 || line[start] === '[')) finish();
    if (line[start] === '[') {
      const close = sectionEnd(line, start + 1);
      if (close < 0) fail(`missing "]" in section header "${line.trim()}"`, number);
      const name = line.slice(start + 1, close);
      if (name === '') fail('empty section name "[]"', number);
      for (let i = close + 1; i < end; i++) {
        const c = line[i];
        if (c === '#' || c === ';') break;
        if (!isBlank(c)) fail(`text after the section header "[${name}]"`, number);
      }
      // dnf reopens a repeated section and merges it; two definitions of one repository are refused here.
      const twice = sections.find((s) => s.name === name);
      if (twice) fail(`section [${name}] defined twice (first at line ${twice.line})`, number);
      section = { name, line: number, entries: new Map() };
      sections.push(section);
      continue;
    }
    if (!section) fail(`"${line.trim()}" comes before any [section]: a key must follow a [repository-id] line`, number);
    if (start > 0) {
      if (!pending) fail(`indented line "${line.trim()}" continues no value (only a line after key=value may start with blanks)`, number);
      else pending.value += '\n' + line.slice(start, end + 1);
      continue;
    }
    if (line[0] === '=') fail(`missing key before "=" in "${line.trim()}"`, number);
    const eq = line.indexOf('=');
    if (eq < 0) fail(`missing "=" in "${line.trim()}": lines in a section are key=value`, number);
    let keyEnd = eq - 1;
    while (keyEnd >= 0 && (line[keyEnd] === ' ' || line[keyEnd] === '\t')) keyEnd--;
    let valueStart = eq + 1;
    while (valueStart < line.length && (line[valueStart] === ' ' || line[valueStart] === '\t')) valueStart++;
    pending = { key: line.slice(0, keyEnd + 1), value: valueStart <= end ? line.slice(valueStart, end + 1) : '', line: number };
  }
  finish();
  return sections;
}

/**
 * dnf's list syntax: items separated by `,`, ` ` or line ends; blanks around items dropped; `\` makes
 * the next character part of the item. `clear` is dnf's "empty value, or a first empty item before a
 * comma" (`excludepkgs=` or `excludepkgs=,foo`): for the appending keys it drops what came before.
 */
export function parseRepoList(value: string): { items: string[]; clear: boolean } {
  const items: string[] = [];
  let item = '';
  let started = false;
  let valid = 0;
  let escape = false;
  let firstEmpty = false;
  for (const c of value) {
    if (escape) {
      escape = false;
      item += c;
      valid = item.length;
      started = true;
      continue;
    }
    if (c === '\\') {
      escape = true;
      continue;
    }
    if (c !== ',' && c !== ' ' && c !== '\n') {
      if (!/\s/.test(c)) {
        started = true;
        valid = item.length + 1;
      }
      if (started) item += c;
      continue;
    }
    item = item.slice(0, valid);
    if (item !== '') items.push(item);
    else if (items.length === 0 && !firstEmpty && c === ',') firstEmpty = true;
    started = false;
    valid = 0;
    item = '';
  }
  item = item.slice(0, valid);
  if (item !== '') items.push(item);
  return { items, clear: items.length === 0 || firstEmpty };
}

/** dnf's booleans. */
function parseBool(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (v === '1' || v === 'yes' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'no' || v === 'false' || v === 'off') return false;
  return undefined;
}

const DECIMAL = /^(\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;

/** dnf's `OptionSeconds`: a number with an optional `s`/`m`/`h`/`d` unit, or `never`/`-1` for -1. */
export function parseSeconds(value: string): number | string {
  if (value === '') return 'an empty time';
  if (value === '-1' || value === 'never') return -1;
  if (value.startsWith('-')) return 'a negative time (only -1, meaning never, is allowed)';
  const m = DECIMAL.exec(value);
  if (!m) return 'not a number of seconds or "never"';
  const unit = value.slice(m[0].length);
  const factor: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
  const f = factor[unit.toLowerCase()];
  if (unit.length > 1 || f === undefined) return `an unknown time unit "${unit}" (s, m, h or d)`;
  return Math.trunc(Number(m[0]) * f);
}

/** dnf's `str_to_bytes`: a number with an optional `k`/`M`/`G` unit (1024-based). */
function parseBytes(value: string): number | string {
  if (value === '') return 'an empty value';
  if (value.startsWith('-')) return 'a negative value';
  const m = DECIMAL.exec(value);
  if (!m) return 'not a number';
  const unit = value.slice(m[0].length);
  const factor: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  const f = factor[unit.toLowerCase()];
  if (unit.length > 1 || f === undefined) return `an unknown unit "${unit}" (k, M or G)`;
  return Math.trunc(Number(m[0]) * f);
}

/** A whole number in [min, max], as dnf's `OptionNumber` reads it (but the whole value must be the number). */
function parseInteger(value: string, min: number, max: number): number | string {
  if (!/^[+-]?\d+$/.test(value)) return 'not a whole number';
  const n = Number(value);
  if (n < min || n > max) return `outside ${min} … ${max}`;
  return n;
}

const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const UINT32_MAX = 2 ** 32 - 1;

/** Keys whose values are URLs or paths: with `vars`, every variable in them must have a value. */
const STRICT_KEYS = new Set(['baseurl', 'mirrorlist', 'metalink', 'gpgkey', 'proxy', 'sslcacert', 'sslclientcert', 'sslclientkey']);

/** The keys rpmfetch reads; every other key goes to `extra`. */
const KNOWN_KEYS = new Set([
  'name', 'enabled', 'baseurl', 'mirrorlist', 'metalink', 'gpgcheck', 'pkg_gpgcheck', 'repo_gpgcheck', 'gpgkey', 'sslverify',
  'sslcacert', 'sslclientcert', 'sslclientkey', 'proxy', 'proxy_username', 'proxy_password', 'username', 'password', 'timeout',
  'minrate', 'max_parallel_downloads', 'skip_if_unavailable', 'priority', 'cost', 'includepkgs', 'excludepkgs', 'exclude',
  'metadata_expire',
]);

/** A repository config from one section. */
function readSection(section: IniSection, file: string | undefined, vars: RepoVars | undefined): RepoConfig {
  const id = vars ? substituteVars(section.name, vars).text : section.name;
  // Without vars, variable references stay in the id (dnf would substitute them) and are not judged.
  const judged = vars ? id : id.replace(/\$\{[^}]*\}|\$[A-Za-z0-9_]+/g, '');
  const bad = [...judged].find((c) => !REPOID.test(c));
  if (bad !== undefined) {
    const shown = bad === ' ' ? 'a space' : `"${bad}"`;
    throw new RepoFileError(`invalid repository id "${id}": ${shown} is not allowed (letters, digits and - _ . : are)`, { file, line: section.line });
  }
  const lines: Array<[string, number]> = [];
  const extra: Array<[string, string]> = [];
  const fail = (key: string, line: number, value: string, why: string): never => {
    throw new RepoFileError(`[${id}] ${key}: "${value}" is ${why}`, { file, line });
  };

  let name: string | undefined;
  let enabled = true;
  let baseurl: string[] = [];
  let mirrorlist = '';
  let metalink = '';
  let gpgcheck = false;
  let repoGpgcheck = false;
  let gpgkey: string[] = [];
  let sslverify = true;
  const strings: Record<string, string> = {};
  let proxy: string | false | undefined;
  let timeout = 30;
  let minrate = 1000;
  let maxParallelDownloads = 3;
  let skipIfUnavailable = false;
  let priority = 99;
  let cost = 1000;
  let includepkgs: string[] = [];
  let excludepkgs: string[] = [];
  let metadataExpire = 48 * 3600;

  for (const [key, { value: raw, line }] of section.entries) {
    lines.push([key, line]);
    if (!KNOWN_KEYS.has(key)) {
      extra.push([key, raw]);
      continue;
    }
    const value = !vars ? raw : STRICT_KEYS.has(key) ? expandUrl(raw, vars, { repoId: id, key, file, line }) : substituteVars(raw, vars).text;
    const bool = (): boolean => parseBool(value) ?? fail(key, line, value, 'not a boolean (1/0, yes/no, true/false, on/off)');
    const num = (n: number | string): number => (typeof n === 'number' ? n : fail(key, line, value, n));
    const list = (): string[] => parseRepoList(value).items;
    const append = (old: string[]): string[] => {
      const { items, clear } = parseRepoList(value);
      return clear ? items : [...old, ...items];
    };
    switch (key) {
      case 'name': name = value; break;
      case 'enabled': enabled = bool(); break;
      case 'baseurl': baseurl = list(); break;
      case 'mirrorlist': mirrorlist = value; break;
      case 'metalink': metalink = value; break;
      case 'gpgcheck':
      case 'pkg_gpgcheck': gpgcheck = bool(); break;
      case 'repo_gpgcheck': repoGpgcheck = bool(); break;
      case 'gpgkey': gpgkey = list(); break;
      case 'sslverify': sslverify = bool(); break;
      case 'proxy': proxy = value === '' || value.toLowerCase() === '_none_' ? false : value; break;
      case 'timeout': timeout = num(parseSeconds(value)); break;
      case 'minrate': minrate = num(parseBytes(value)); if (minrate > UINT32_MAX) fail(key, line, value, `more than ${UINT32_MAX}`); break;
      case 'max_parallel_downloads': maxParallelDownloads = num(parseInteger(value, 1, UINT32_MAX)); break;
      case 'skip_if_unavailable': skipIfUnavailable = bool(); break;
      case 'priority': priority = num(parseInteger(value, ...INT32)); break;
      case 'cost': cost = num(parseInteger(value, ...INT32)); break;
      case 'includepkgs': includepkgs = append(includepkgs); break;
      case 'exclude':
      case 'excludepkgs': excludepkgs = append(excludepkgs); break;
      case 'metadata_expire': metadataExpire = num(parseSeconds(value)); break;
      default: strings[key] = value;
    }
  }
  const opt = (key: string): string | undefined => (strings[key] ? strings[key] : undefined);
  const optional = {
    ...(mirrorlist && { mirrorlist }),
    ...(metalink && { metalink }),
    ...(opt('sslcacert') !== undefined && { sslcacert: opt('sslcacert') }),
    ...(opt('sslclientcert') !== undefined && { sslclientcert: opt('sslclientcert') }),
    ...(opt('sslclientkey') !== undefined && { sslclientkey: opt('sslclientkey') }),
    ...(proxy !== undefined && { proxy }),
    ...(opt('proxy_username') !== undefined && { proxyUsername: opt('proxy_username') }),
    ...(opt('proxy_password') !== undefined && { proxyPassword: opt('proxy_password') }),
    ...(opt('username') !== undefined && { username: opt('username') }),
    ...(opt('password') !== undefined && { password: opt('password') }),
  } as Partial<RepoConfig>;
  return {
    id,
    ...(file !== undefined && { file }),
    line: section.line,
    lines: Object.fromEntries(lines),
    name: name ?? id,
    enabled,
    baseurl,
    ...optional,
    gpgcheck,
    repoGpgcheck,
    gpgkey,
    sslverify,
    timeout,
    minrate,
    maxParallelDownloads,
    skipIfUnavailable,
    priority,
    cost,
    includepkgs,
    excludepkgs,
    metadataExpire,
    extra: Object.fromEntries(extra),
  };
}

/**
 * Reads the text of a `.repo` file into one {@link RepoConfig} per repository section, in file order
 * (`[main]` is not a repository and is skipped, as dnf skips it). A malformed file is a
 * {@link RepoFileError} (`ERR_REPO_FILE`) whose message starts with `FILE:LINE:`: a key before any
 * `[section]`, a line without `=`, a `=` without a key, an indented line continuing nothing, a
 * section header without its `]` or with text after it, an empty or repeated section, a repository id
 * with characters dnf refuses, a value that is not a boolean or number where one belongs.
 */
export function parseRepoFile(text: string, options: ParseRepoFileOptions = {}): RepoConfig[] {
  const { file, vars } = options;
  const configs: RepoConfig[] = [];
  for (const section of parseIni(text, file)) {
    if (section.name === 'main') continue;
    const config = readSection(section, file, vars);
    const twice = configs.find((c) => c.id === config.id);
    if (twice) throw new RepoFileError(`repository id "${config.id}" defined twice (first at line ${twice.line})`, { file, line: config.line });
    configs.push(config);
  }
  return configs;
}

/** Options for {@link loadRepoFiles}. */
export interface LoadRepoFilesOptions {
  /** Variables to substitute, as for {@link parseRepoFile}. */
  readonly vars?: RepoVars;
}

/**
 * Reads `.repo` files and directories of them (every `*.repo` regular file in a directory, sorted by
 * name, as dnf reads `/etc/yum.repos.d`), in the order given, into their repositories. A path given
 * twice is read once. A repository id defined in two files is a {@link RepoFileError} naming both
 * (dnf keeps the first and logs an error); an unreadable file or directory is a `FileReadError`.
 */
export async function loadRepoFiles(paths: readonly string[], options: LoadRepoFilesOptions = {}): Promise<RepoConfig[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = async (path: string): Promise<void> => {
    const real = await realpath(path).catch(() => path);
    if (seen.has(real)) return;
    seen.add(real);
    files.push(path);
  };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new FileReadError(path, error);
    }
    if (!info.isDirectory()) {
      await add(path);
      continue;
    }
    let names: string[];
    try {
      names = await readdir(path);
    } catch (error) {
      throw new FileReadError(path, error);
    }
    for (const name of names.filter((n) => n.endsWith('.repo')).sort()) {
      const file = join(path, name);
      if ((await stat(file).catch(() => undefined))?.isFile()) await add(file);
    }
  }
  const configs: RepoConfig[] = [];
  const byId = new Map<string, RepoConfig>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new FileReadError(file, error);
    }
    for (const config of parseRepoFile(text, { file, ...(options.vars && { vars: options.vars }) })) {
      const first = byId.get(config.id);
      if (first) {
        throw new RepoFileError(`repository id "${config.id}" is defined in ${first.file}:${first.line} and again here`, { file, line: config.line });
      }
      byId.set(config.id, config);
      configs.push(config);
    }
  }
  return configs;
}

/** Where a repository's mirrors come from, by dnf's precedence. */
export type RepoSource =
  | {
      /** MirrorManager's metalink. */
      readonly kind: 'metalink';
      /** Its URL. */
      readonly url: string;
    }
  | {
      /** A mirror list. */
      readonly kind: 'mirrorlist';
      /** Its URL. */
      readonly url: string;
      /** The URL contains "metalink": dnf (after yum) also reads the answer as a metalink if it is one. */
      readonly mayBeMetalink: boolean;
    }
  | {
      /** Fixed mirror base URLs. */
      readonly kind: 'baseurl';
      /** The URLs, in order. */
      readonly urls: readonly string[];
    };

/**
 * Where a repository's mirrors come from, as dnf decides: `metalink` if set, else `mirrorlist`, else
 * `baseurl` (the others are then not used at all). A repository with none of them is a
 * {@link RepoFileError} naming its file and section, as dnf refuses it.
 */
export function repoSource(config: RepoConfig): RepoSource {
  if (config.metalink) return { kind: 'metalink', url: config.metalink };
  if (config.mirrorlist) return { kind: 'mirrorlist', url: config.mirrorlist, mayBeMetalink: config.mirrorlist.includes('metalink') };
  if (config.baseurl.length > 0) return { kind: 'baseurl', urls: config.baseurl };
  throw new RepoFileError(`repository "${config.id}" has no source: set baseurl, mirrorlist or metalink`, { file: config.file, line: config.line });
}

/**
 * Which repositories to use: with ids (`--repoid`, repeatable; globs such as `fedora*` allowed, as
 * dnf5's `--repo`), exactly the repositories they match, enabled or not; without, every enabled one.
 * An id (or glob) that matches no repository is an `InvalidOptionError` listing the ids there are.
 * The result keeps the files' order.
 */
export function selectRepos(configs: readonly RepoConfig[], ids?: readonly string[]): RepoConfig[] {
  if (!ids || ids.length === 0) return configs.filter((c) => c.enabled);
  const matches = (id: string, c: RepoConfig): boolean => (isGlob(id) ? fnmatch(id, c.id) : id === c.id);
  const unknown = ids.filter((id) => !configs.some((c) => matches(id, c)));
  if (unknown.length > 0) {
    const known = configs.map((c) => c.id).join(', ') || 'none';
    throw new InvalidOptionError(`no repository ${unknown.map((id) => `"${id}"`).join(', ')} in the .repo files (they define: ${known})`);
  }
  return configs.filter((c) => ids.some((id) => matches(id, c)));
}
