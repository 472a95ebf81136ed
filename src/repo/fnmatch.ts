/**
 * Shell globs as glibc's `fnmatch(pattern, text, 0)` matches them, which is what dnf uses for package
 * and repository globs: `*` any run of characters (`/` and a leading `.` included), `?` any one
 * character, `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]` one character of (or not of) a set, with POSIX
 * classes such as `[[:digit:]]`; `\` makes the next character literal. A `[` without its `]` is a
 * literal `[`; a trailing `\` or an unknown class name (`[[:foo:]]`) makes the pattern match nothing, as
 * glibc's error does. Not supported: glibc's collating symbols (`[.a.]`) and equivalence classes
 * (`[=a=]`), the `FNM_EXTMATCH` forms (`+(a|b)`) dnf5 allows in repository ids, and glibc's quirk of
 * not looking at the rest of a bracket once a character matched (so `[a[:foo:]]` matches `a` there).
 */

const CLASSES: Readonly<Record<string, string>> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

const escapeRegExp = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** Whether dnf treats a spec as a glob: it has `*`, `?` or `[`. */
export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * The bracket expression starting at `pattern[start]` (a `[`) as a regular-expression class, and the
 * index after its `]`; undefined when it has no `]` (the `[` is then literal).
 */
function bracket(pattern: string, start: number): [string, number] | undefined {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  const parts: string[] = [];
  let first = true;
  while (i < pattern.length) {
    let c = pattern[i] as string;
    if (c === ']' && !first) return [`[${negate ? '^' : ''}${parts.join('')}]`, i + 1];
    first = false;
    if (c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      const name = end < 0 ? undefined : pattern.slice(i + 2, end);
      if (name !== undefined) {
        const cls = CLASSES[name];
        // An unknown class makes the pattern invalid: glibc's fnmatch then matches nothing.
        if (cls === undefined) return ['(?!)', end + 2];
        parts.push(cls);
        i = end + 2;
        continue;
      }
    }
    if (c === '\\' && i + 1 < pattern.length) c = pattern[++i] as string;
    // A range: c-d, unless the '-' is last before the ']'.
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      let d = pattern[i + 2] as string;
      let next = i + 3;
      if (d === '\\' && i + 3 < pattern.length) {
        d = pattern[i + 3] as string;
        next = i + 4;
      }
      // An empty range (z-a) matches nothing, as in glibc.
      if (c <= d) parts.push(`${escapeRegExp(c)}-${escapeRegExp(d)}`);
      i = next;
      continue;
    }
    parts.push(escapeRegExp(c));
    i++;
  }
  return undefined;
}

const cache = new Map<string, RegExp>();

/** The regular expression a glob means (anchored at both ends). */
export function globRegExp(pattern: string): RegExp {
  const known = cache.get(pattern);
  if (known) return known;
  let source = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i] as string;
    if (c === '*') {
      source += '[\\s\\S]*';
      i++;
    } else if (c === '?') {
      source += '[\\s\\S]';
      i++;
    } else if (c === '[') {
      const b = bracket(pattern, i);
      if (b) {
        // An empty set ([z-a]) matches nothing; its negation anything.
        source += b[0] === '[]' ? '(?!)' : b[0] === '[^]' ? '[\\s\\S]' : b[0];
        i = b[1];
      } else {
        source += '\\[';
        i++;
      }
    } else if (c === '\\') {
      // A trailing backslash escapes nothing: glibc's fnmatch then matches nothing.
      source += i + 1 < pattern.length ? escapeRegExp(pattern[i + 1] as string) : '(?!)';
      i += 2;
    } else {
      source += escapeRegExp(c);
      i++;
    }
  }
  const re = new RegExp(`^${source}$`);
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** Whether `text` matches the glob `pattern` (see the module comment). */
export function fnmatch(pattern: string, text: string): boolean {
  return globRegExp(pattern).test(text);
}
