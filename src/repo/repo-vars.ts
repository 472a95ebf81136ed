/**
 * dnf's repository variables: `$releasever`, `$basearch`, `$arch` and any custom one, written `$name`
 * or `${name}` (names are `[A-Za-z0-9_]+`), with dnf5's bash-like `${name:-default}` and
 * `${name:+alternate}` and `\` escapes. Values come from several sources merged the way dnf5's `Vars`
 * merges them (`libdnf5/conf/vars.cpp`), lowest precedence first:
 *
 * 1. detected: `arch` from this machine (uname, as dnf does), `basearch` from `arch` by dnf's table;
 * 2. vars directories in `/etc/dnf/vars` layout (one file per variable, its first line the value),
 *    later directories over earlier ones;
 * 3. the environment: `DNF_VAR_name=value`, and `DNF0`…`DNF9`;
 * 4. explicit values (`--releasever`, `--setvar NAME=VALUE`).
 *
 * Setting `releasever` also sets `releasever_major` and `releasever_minor` (split at the first `.`) at
 * the same precedence, and `basearch` is derived from the final `arch` unless a source sets it.
 *
 * dnf leaves a variable it has no value for in the text, and would then request a URL with a literal
 * `$releasever` in it. rpmfetch does not: {@link expandUrl} throws a {@link RepoVariableError} that
 * names the variable.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { machine } from 'node:os';
import { join } from 'node:path';
import { FileReadError, InvalidOptionError, RepoVariableError } from '../errors.js';
import { rpmArch } from './arch.js';

/** Variable values by name (without `$`). */
export type RepoVars = Readonly<Record<string, string>>;

/** What a variable name may be made of, as dnf reads `$name`. */
const NAME = /^[A-Za-z0-9_]+$/;
const isNameChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/**
 * dnf's base architectures: each base arch and the machine arches that map to it (libdnf5's
 * `rpm/arch_private.hpp`, the table dnf has always used).
 */
const BASE_ARCHES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['aarch64', ['aarch64']],
  ['alpha', ['alpha', 'alphaev4', 'alphaev45', 'alphaev5', 'alphaev56', 'alphaev6', 'alphaev67', 'alphaev68', 'alphaev7', 'alphapca56']],
  ['arm', ['armv5tejl', 'armv5tel', 'armv5tl', 'armv6l', 'armv7l', 'armv8l']],
  ['armhfp', ['armv6hl', 'armv7hl', 'armv7hnl', 'armv8hl', 'armv8hnl', 'armv8hcnl']],
  ['i386', ['i386', 'athlon', 'geode', 'i486', 'i586', 'i686']],
  ['ia64', ['ia64']],
  ['mips', ['mips']],
  ['mipsel', ['mipsel']],
  ['mips64', ['mips64']],
  ['mips64el', ['mips64el']],
  ['noarch', ['noarch']],
  ['ppc', ['ppc']],
  ['ppc64', ['ppc64', 'ppc64iseries', 'ppc64p7', 'ppc64pseries']],
  ['ppc64le', ['ppc64le']],
  ['riscv32', ['riscv32']],
  ['riscv64', ['riscv64']],
  ['riscv128', ['riscv128']],
  ['s390', ['s390']],
  ['s390x', ['s390x']],
  ['sh3', ['sh3']],
  ['sh4', ['sh4', 'sh4a']],
  ['sparc', ['sparc', 'sparc64', 'sparc64v', 'sparcv8', 'sparcv9', 'sparcv9v']],
  ['x86_64', ['x86_64', 'amd64', 'ia32e']],
  ['loongarch64', ['loongarch64']],
  ['e2k', ['e2k', 'e2kv4', 'e2kv5', 'e2v6']],
];

/**
 * dnf's `$basearch` for a machine arch: `i686` → `i386`, `armv7hl` → `armhfp`, `x86_64` → `x86_64`,
 * `aarch64`, `ppc64le`, `s390x` → themselves. Undefined for an arch dnf does not know (dnf then leaves
 * `$basearch` unset).
 */
export function baseArch(arch: string): string | undefined {
  for (const [base, natives] of BASE_ARCHES) if (natives.includes(arch)) return base;
  return undefined;
}

/**
 * This machine's arch as dnf detects it: uname's machine name (`os.machine()`: `x86_64`, `aarch64`,
 * `ppc64le`, `s390x`, `i686`), except on 32-bit ARM, where dnf adds the hard-float and NEON modifiers
 * from the CPU's capabilities; there rpm's name for Node's arch (`armv7hl`) stands in.
 */
export function detectArch(): string {
  const uname = machine();
  return !uname || uname.startsWith('arm') ? rpmArch() : uname;
}

/** One source of variables, in precedence order (lowest first), as dnf5 ranks them. */
export interface RepoVarSources {
  /** Detected values: `arch` (default: {@link detectArch}); `basearch` is derived from the final `arch`. */
  readonly detected?: RepoVars;
  /** Values read from vars directories (see {@link readVarsDirs}). */
  readonly varsDir?: RepoVars;
  /** Values from the environment (see {@link varsFromEnv}). */
  readonly env?: RepoVars;
  /** Explicit values: `--releasever`, `--setvar NAME=VALUE`. */
  readonly explicit?: RepoVars;
}

/**
 * Merges variable sources the way dnf5 does: each source over the ones before it; `releasever` also
 * sets `releasever_major`/`releasever_minor` at its source's precedence (so an explicit
 * `--releasever 41` replaces a vars directory's `releasever_major`, and an environment
 * `DNF_VAR_releasever_major` survives a vars directory's `releasever`); `basearch`, unless some source
 * sets it, is {@link baseArch} of the merged `arch`.
 */
export function mergeRepoVars(sources: RepoVarSources): Record<string, string> {
  const values = new Map<string, { value: string; rank: number }>();
  const set = (name: string, value: string, rank: number): void => {
    const old = values.get(name);
    if (old && rank < old.rank) return;
    if (name === 'releasever') {
      const dot = value.indexOf('.');
      const major = dot < 0 ? value : value.slice(0, dot);
      const minor = dot < 0 ? '' : value.slice(dot + 1);
      if (major) set('releasever_major', major, rank);
      if (minor) set('releasever_minor', minor, rank);
    }
    values.set(name, { value, rank });
  };
  const layers = [sources.detected ?? { arch: detectArch() }, sources.varsDir, sources.env, sources.explicit];
  layers.forEach((layer, rank) => {
    for (const [name, value] of Object.entries(layer ?? {})) set(name, value, rank);
  });
  const arch = values.get('arch')?.value;
  const base = arch !== undefined ? baseArch(arch) : undefined;
  if (!values.has('basearch') && base !== undefined) values.set('basearch', { value: base, rank: 0 });
  return Object.fromEntries([...values].map(([name, v]) => [name, v.value]));
}

/**
 * The variables dnf takes from the environment: `DNF_VAR_name=value` (the prefix cut off; the rest must
 * be `[A-Za-z0-9_]+`) and `DNF0` … `DNF9`.
 */
export function varsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (/^DNF[0-9]$/.test(key)) out.push([key, value]);
    else if (key.startsWith('DNF_VAR_') && NAME.test(key.slice(8))) out.push([key.slice(8), value]);
  }
  return Object.fromEntries(out);
}

/**
 * Reads vars directories in `/etc/dnf/vars` layout: each regular file is a variable, its name the
 * file's name, its value the file's first line (without the line ending; an empty file gives an empty
 * value). A later directory's file replaces an earlier one's, as in dnf. A directory that does not
 * exist is skipped (dnf skips it too); a file that cannot be read is a {@link FileReadError}. Files
 * whose names are not `[A-Za-z0-9_]+` (`.gitkeep`, `README.md`) are skipped: no `$name` could refer to
 * them.
 */
export async function readVarsDirs(dirs: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new FileReadError(dir, error);
    }
    for (const name of names.sort()) {
      if (!NAME.test(name)) continue;
      const path = join(dir, name);
      try {
        if (!(await stat(path)).isFile()) continue;
        const text = await readFile(path, 'utf8');
        const end = text.indexOf('\n');
        out[name] = (end < 0 ? text : text.slice(0, end)).replace(/[\r\n]+$/, '');
      } catch (error) {
        throw new FileReadError(path, error);
      }
    }
  }
  return out;
}

/**
 * Reads `NAME=VALUE` as `--setvar` takes it. The name must be `[A-Za-z0-9_]+`; the value is everything
 * after the first `=` (it may be empty or hold `=`).
 */
export function parseSetvar(text: string): [name: string, value: string] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !NAME.test(name)) throw new InvalidOptionError(`--setvar wants NAME=VALUE with a name of letters, digits and _, not "${text}"`);
  return [name, text.slice(eq + 1)];
}

/** Options for {@link loadRepoVars}. */
export interface LoadRepoVarsOptions {
  /** This machine's arch as dnf names it; default {@link detectArch}. */
  readonly arch?: string;
  /** Vars directories in `/etc/dnf/vars` layout, later over earlier (`--varsdir`); default none. */
  readonly varsDirs?: readonly string[];
  /** The environment to take `DNF_VAR_*` from; default `process.env`; `false` for none. */
  readonly env?: Readonly<Record<string, string | undefined>> | false;
  /** `--releasever`: sets `releasever` (and `releasever_major`/`_minor`) over every other source. */
  readonly releasever?: string;
  /** `--setvar` values, over every other source (a `releasever` here loses to {@link releasever}). */
  readonly set?: RepoVars | Iterable<readonly [string, string]>;
}

/**
 * Every source of variables, read and merged as dnf does (see {@link mergeRepoVars}): the detected
 * arch, the vars directories, the environment, then `set` and `releasever`.
 */
export async function loadRepoVars(options: LoadRepoVarsOptions = {}): Promise<Record<string, string>> {
  const explicit: Record<string, string> = {};
  const set = options.set;
  const pairs: Iterable<readonly [string, string]> = set === undefined ? [] : Symbol.iterator in set ? (set as Iterable<readonly [string, string]>) : Object.entries(set);
  for (const [name, value] of pairs) {
    if (!NAME.test(name)) throw new InvalidOptionError(`variable names are letters, digits and _, not "${name}"`);
    explicit[name] = value;
  }
  if (options.releasever !== undefined) explicit['releasever'] = options.releasever;
  return mergeRepoVars({
    detected: { arch: options.arch ?? detectArch() },
    varsDir: await readVarsDirs(options.varsDirs ?? []),
    env: options.env === false ? {} : varsFromEnv(options.env),
    explicit,
  });
}

/** What {@link substituteVars} made of a text. */
export interface Substitution {
  /** The text with every variable that has a value replaced, and `\` escapes removed. */
  readonly text: string;
  /**
   * Variables referred to (as `$name` or `${name}`) that have no value and were left in the text, in
   * order, each once. `${name:-word}` and `${name:+word}` never leave `name` unresolved (a variable in
   * the `word` dnf uses counts).
   */
  readonly unresolved: readonly string[];
  /**
   * `${` references dnf leaves as written because they are not well formed: no closing `}`
   * (`${releasever`), a character after the name other than `}` or `:` (`${name/x}`), an unknown
   * `${name:…}` form. Each is the text from its `$`, at most 40 characters.
   */
  readonly malformed: readonly string[];
}

/** Deepest nesting of `${a:-${b:-…}}` dnf5 expands; deeper text is left as it is. */
const MAX_DEPTH = 32;

interface Report {
  readonly missing: string[];
  readonly malformed: string[];
}

/**
 * Substitutes variables exactly as dnf5's `Vars::substitute` does: `$name` and `${name}` (name
 * `[A-Za-z0-9_]+`) take the variable's value; `${name:-word}` takes the value, or `word` (itself
 * expanded) when the variable is unset or empty; `${name:+word}` takes `word` when the variable is set
 * and not empty, else nothing; `\` makes the next character literal (and is removed); a `$` not
 * followed by a name, an unterminated `${`, or an unknown `${name:…}` form stays as written (listed in
 * `malformed` when it starts with `${`). A variable without a value is left as written and listed in
 * `unresolved`.
 */
export function substituteVars(text: string, vars: RepoVars): Substitution {
  const value = (name: string): string | undefined => (Object.hasOwn(vars, name) ? vars[name] : undefined);
  const fragment = (s: string, from: number): string => s.slice(from, from + 40);

  // A port of substitute_expression: returns the expanded text and how many characters of `input` it
  // read; at depth > 0 it stops before a '}' and, with none, reads everything and changes nothing.
  const expression = (input: string, depth: number, report: Report): [string, number] => {
    if (depth > MAX_DEPTH) return [input, input.length];
    let res = input;
    let scanned = 0;
    let pos = 0;
    while (pos < res.length) {
      const c = res[pos];
      if (c === '}' && depth > 0) return [res.slice(0, pos), scanned];
      if (c === '\\') {
        if (pos + 1 >= res.length) break;
        res = res.slice(0, pos) + res.slice(pos + 1);
        scanned += 2;
        pos += 1;
        continue;
      }
      if (c !== '$') {
        scanned += 1;
        pos += 1;
        continue;
      }
      const exprStart = pos + 1;
      if (exprStart >= res.length) break;
      const braces = res[exprStart] === '{';
      const nameStart = braces ? exprStart + 1 : exprStart;
      if (nameStart >= res.length) {
        report.malformed.push(fragment(res, pos));
        break;
      }
      let nameEnd = nameStart;
      while (isNameChar(res[nameEnd])) nameEnd++;
      const name = res.slice(nameStart, nameEnd);
      const found = value(name);
      let subst: string | undefined;
      let exprEnd: number;
      if (braces) {
        if (nameEnd + (res[nameEnd] === ':' ? 2 : 0) >= res.length) {
          report.malformed.push(fragment(res, pos));
          break;
        }
        if (res[nameEnd] === ':') {
          const mode = res[nameEnd + 1];
          const wordStart = nameEnd + 2;
          const inner: Report = { missing: [], malformed: [] };
          const [word, wordScanned] = expression(res.slice(wordStart), depth + 1, inner);
          const wordEnd = wordStart + wordScanned;
          if (wordEnd >= res.length) {
            report.malformed.push(fragment(res, pos));
            break;
          }
          if (res[wordEnd] !== '}') {
            // The word did not end at a '}' (dnf's count of what it read can fall short): dnf skips it.
            report.malformed.push(fragment(res, pos));
            scanned += wordEnd - pos;
            pos = wordEnd;
            continue;
          }
          const set = found !== undefined && found !== '';
          const useWord = mode === '-' ? !set : set;
          if (mode === '-') subst = set ? found : word;
          else if (mode === '+') subst = set ? word : '';
          else {
            report.malformed.push(fragment(res, pos));
            pos = nameEnd + 1;
            continue;
          }
          if (useWord) {
            report.missing.push(...inner.missing);
            report.malformed.push(...inner.malformed);
          }
          exprEnd = wordEnd + 1;
        } else if (res[nameEnd] === '}') {
          subst = found;
          exprEnd = nameEnd + 1;
        } else {
          report.malformed.push(fragment(res, pos));
          pos = nameEnd;
          continue;
        }
      } else {
        subst = found;
        exprEnd = nameEnd;
      }
      if (subst === undefined) {
        if (name !== '') report.missing.push(name);
        else if (braces) report.malformed.push(fragment(res, pos));
        scanned += exprEnd - pos;
        pos = exprEnd;
        continue;
      }
      res = res.slice(0, pos) + subst + res.slice(exprEnd);
      scanned += exprEnd - pos;
      pos += subst.length;
    }
    if (depth > 0) {
      // No closing '}': dnf changes nothing here, and the caller reports the whole reference.
      report.missing.length = 0;
      report.malformed.length = 0;
      return [input, input.length];
    }
    return [res, input.length];
  };

  const report: Report = { missing: [], malformed: [] };
  const [out] = expression(text, 0, report);
  return { text: out, unresolved: [...new Set(report.missing)], malformed: [...new Set(report.malformed)] };
}

/** Where a URL comes from, for {@link expandUrl}'s error. */
export interface VarContext {
  /** The repository id. */
  readonly repoId?: string | undefined;
  /** The key (`baseurl`, `metalink`, `gpgkey`, …). */
  readonly key?: string | undefined;
  /** The `.repo` file. */
  readonly file?: string | undefined;
  /** The key's line in that file. */
  readonly line?: number | undefined;
}

/**
 * Substitutes the variables of a repository URL (or path) as dnf does, and refuses to leave one
 * unresolved: a `$releasever` with no value is a {@link RepoVariableError} (`ERR_REPO_VARIABLE`)
 * naming the variable, and the repository id and key when `context` gives them — never a request to a
 * literal `$releasever`. A `${` reference dnf would leave as written (no closing `}`, an unknown
 * `${name:…}` form) is refused the same way. A `$` that does not start a name (`$/`, a `$` at the
 * end) and an escaped `\$name` are not variables and stay.
 */
export function expandUrl(url: string, vars: RepoVars, context: VarContext = {}): string {
  const { text, unresolved, malformed } = substituteVars(url, vars);
  if (unresolved.length > 0 || malformed.length > 0) throw new RepoVariableError(unresolved, url, context, malformed);
  return text;
}
