/**
 * dnf's repository variables: substitution (dnf5's own test cases, `${a:-b}`, `${a:+b}`, escapes),
 * the base-arch table, every source (detected, vars directories, environment, explicit) and their
 * precedence, and `expandUrl`'s refusal to leave a variable unresolved.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidOptionError, RepoVariableError } from '../src/errors.js';
import { baseArch, detectArch, expandUrl, loadRepoVars, mergeRepoVars, parseSetvar, readVarsDirs, substituteVars, varsFromEnv } from '../src/index.js';

describe('substitution', () => {
  // libdnf5's test/libdnf5/conf/test_vars.cpp, with its vars directory (var1=value123, var2=456).
  const dnf5 = { var1: 'value123', var2: '456' };
  test("dnf5's own cases", () => {
    assert.equal(substituteVars('foo$var1-bar', dnf5).text, 'foovalue123-bar');
    assert.equal(substituteVars('$$$${var1}$var2-$nn-${nnn}', dnf5).text, '$$$value123456-$nn-${nnn}');
    assert.equal(substituteVars('${var1:+alternate}-${unset:-default}-${nn:+n${nn:-${nnn:}', dnf5).text, 'alternate-default-${nn:+n${nn:-${nnn:}');
    assert.equal(substituteVars('${unset:-${var1:+${var2:+$var2}}}', dnf5).text, '456');
  });

  test('$name and ${name}; a name is [A-Za-z0-9_]+ and ends at the first other character', () => {
    const vars = { releasever: '41', basearch: 'x86_64', a_1: 'A' };
    assert.equal(substituteVars('fedora-$releasever-$basearch', vars).text, 'fedora-41-x86_64');
    assert.equal(substituteVars('f${releasever}x', vars).text, 'f41x');
    assert.equal(substituteVars('$a_1.$a_1/', vars).text, 'A.A/');
    assert.deepEqual(substituteVars('f$releaseverx', vars), { text: 'f$releaseverx', unresolved: ['releaseverx'], malformed: [] });
  });

  test('${name:-default} when unset or empty, ${name:+alternate} when set and not empty', () => {
    const vars = { set: 'S', empty: '' };
    assert.equal(substituteVars('${set:-d}|${empty:-d}|${unset:-d}', vars).text, 'S|d|d');
    assert.equal(substituteVars('${set:+a}|${empty:+a}|${unset:+a}', vars).text, 'a||');
    assert.equal(substituteVars('${unset:-$set-x}', vars).text, 'S-x');
  });

  test('a backslash makes the next character literal and is removed', () => {
    assert.deepEqual(substituteVars('\\$releasever/\\\\', { releasever: '41' }), { text: '$releasever/\\', unresolved: [], malformed: [] });
  });

  test('unresolved variables are reported once each, and only from the branch dnf uses', () => {
    assert.deepEqual(substituteVars('$a/$b/${a}', {}).unresolved, ['a', 'b']);
    assert.deepEqual(substituteVars('${set:-$missing}', { set: '1' }).unresolved, []);
    assert.deepEqual(substituteVars('${unset:-$missing}', {}).unresolved, ['missing']);
    assert.deepEqual(substituteVars('${set:+$missing}', { set: '1' }).unresolved, ['missing']);
  });

  test('values are not substituted again', () => {
    assert.equal(substituteVars('$a', { a: '$b', b: 'no' }).text, '$b');
  });
});

describe('expandUrl', () => {
  const vars = { releasever: '41', basearch: 'x86_64' };

  test('a URL with every variable known', () => {
    assert.equal(
      expandUrl('https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever&arch=$basearch', vars),
      'https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64',
    );
  });

  test('an unresolved variable is an error naming it, the repository and the key (never a literal $releasever)', () => {
    assert.throws(
      () => expandUrl('https://dl.example/$releasever/$contentdir/', { basearch: 'x86_64' }, { repoId: 'fedora', key: 'baseurl', file: 'f.repo', line: 3 }),
      (error: unknown) => {
        assert.ok(error instanceof RepoVariableError);
        assert.equal(error.code, 'ERR_REPO_VARIABLE');
        assert.equal(error.variable, 'releasever');
        assert.deepEqual(error.variables, ['releasever', 'contentdir']);
        assert.equal(error.repoId, 'fedora');
        assert.equal(error.key, 'baseurl');
        assert.equal(
          error.message,
          'f.repo:3: [fedora] baseurl: variables $releasever, $contentdir have no value (give --releasever, --setvar contentdir=VALUE, ' +
            'a file in the vars directory, or DNF_VAR_releasever) in "https://dl.example/$releasever/$contentdir/"',
        );
        assert.deepEqual(error.toJSON(), { code: 'ERR_REPO_VARIABLE', message: error.message });
        return true;
      },
    );
  });

  test('a malformed ${ reference is refused too, since dnf would leave it in the URL', () => {
    for (const url of ['https://x/${releasever', 'https://x/${releasever/', 'https://x/${releasever:?x}/', 'https://x/${', 'https://x/${}/']) {
      assert.throws(() => expandUrl(url, vars), (e: unknown) => e instanceof RepoVariableError && e.malformed.length === 1 && /malformed variable reference/.test(e.message), url);
    }
  });

  test('a $ that starts no name, an escaped \\$name, ${name:-default} are fine', () => {
    assert.equal(expandUrl('https://x/a$/b$-c/$', vars), 'https://x/a$/b$-c/$');
    assert.equal(expandUrl('https://x/\\$releasever', {}), 'https://x/$releasever');
    assert.equal(expandUrl('https://x/${contentdir:-pub}/$releasever', vars), 'https://x/pub/41');
  });
});

describe("dnf's base arches", () => {
  test('the table', () => {
    const cases: Array<[string, string | undefined]> = [
      ['x86_64', 'x86_64'], ['amd64', 'x86_64'], ['i686', 'i386'], ['i386', 'i386'], ['athlon', 'i386'], ['aarch64', 'aarch64'],
      ['armv7hl', 'armhfp'], ['armv7hnl', 'armhfp'], ['armv7l', 'arm'], ['ppc64le', 'ppc64le'], ['ppc64p7', 'ppc64'], ['s390x', 's390x'],
      ['riscv64', 'riscv64'], ['loongarch64', 'loongarch64'], ['sparc64v', 'sparc'], ['noarch', 'noarch'], ['vax', undefined],
    ];
    for (const [arch, base] of cases) assert.equal(baseArch(arch), base, arch);
  });

  test('this machine has an arch dnf knows', () => {
    assert.ok(baseArch(detectArch()), detectArch());
  });
});

describe('sources and their precedence', () => {
  test('each source over the one before: detected < vars directory < environment < explicit', () => {
    const sources = {
      detected: { arch: 'x86_64', a: 'detected', b: 'detected', c: 'detected', d: 'detected' },
      varsDir: { b: 'dir', c: 'dir', d: 'dir' },
      env: { c: 'env', d: 'env' },
      explicit: { d: 'explicit' },
    };
    const vars = mergeRepoVars(sources);
    assert.deepEqual([vars['a'], vars['b'], vars['c'], vars['d']], ['detected', 'dir', 'env', 'explicit']);
  });

  test('basearch follows the merged arch, unless a source sets it', () => {
    assert.equal(mergeRepoVars({ detected: { arch: 'x86_64' } })['basearch'], 'x86_64');
    assert.equal(mergeRepoVars({ detected: { arch: 'x86_64' }, explicit: { arch: 'i686' } })['basearch'], 'i386');
    assert.equal(mergeRepoVars({ detected: { arch: 'x86_64' }, varsDir: { arch: 'armv7hl' } })['basearch'], 'armhfp');
    assert.equal(mergeRepoVars({ detected: { arch: 'x86_64' }, varsDir: { basearch: 'custom' }, explicit: { arch: 'aarch64' } })['basearch'], 'custom');
    assert.equal(mergeRepoVars({ detected: { arch: 'vax' } })['basearch'], undefined);
  });

  test('releasever also sets releasever_major and releasever_minor, at its own precedence', () => {
    const vars = mergeRepoVars({ detected: { arch: 'x86_64' }, explicit: { releasever: '9.4' } });
    assert.deepEqual([vars['releasever'], vars['releasever_major'], vars['releasever_minor']], ['9.4', '9', '4']);
    assert.equal(mergeRepoVars({ detected: {}, explicit: { releasever: '41' } })['releasever_minor'], undefined);
    // An explicit releasever replaces a vars directory's releasever_major …
    assert.equal(mergeRepoVars({ detected: {}, varsDir: { releasever_major: '8' }, explicit: { releasever: '9.4' } })['releasever_major'], '9');
    // … but a vars directory's releasever does not replace the environment's releasever_major.
    assert.equal(mergeRepoVars({ detected: {}, varsDir: { releasever: '9.4' }, env: { releasever_major: '10' } })['releasever_major'], '10');
  });

  test('the environment: DNF_VAR_name and DNF0 … DNF9', () => {
    assert.deepEqual(
      varsFromEnv({ DNF_VAR_releasever: '41', DNF_VAR_my_var2: 'x', DNF0: 'zero', DNF9: 'nine', DNF10: 'no', DNF_VAR_: 'no', 'DNF_VAR_a-b': 'no', DNF_VARX: 'no', PATH: '/bin', DNF_VAR_u: undefined }),
      { releasever: '41', my_var2: 'x', DNF0: 'zero', DNF9: 'nine' },
    );
  });

  test('--setvar NAME=VALUE', () => {
    assert.deepEqual(parseSetvar('contentdir=pub'), ['contentdir', 'pub']);
    assert.deepEqual(parseSetvar('x=a=b'), ['x', 'a=b']);
    assert.deepEqual(parseSetvar('x='), ['x', '']);
    for (const bad of ['novalue', '=v', 'a-b=1', '$x=1']) assert.throws(() => parseSetvar(bad), InvalidOptionError, bad);
  });

  describe('vars directories', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rpmfetch-vars-'));
      await mkdir(join(dir, 'etc'));
      await mkdir(join(dir, 'usr'));
      await writeFile(join(dir, 'usr', 'contentdir'), 'pub\n');
      await writeFile(join(dir, 'usr', 'stream'), 'from-usr\n');
      await writeFile(join(dir, 'etc', 'stream'), 'from-etc\nsecond line ignored\n');
      await writeFile(join(dir, 'etc', 'crlf'), 'value\r\n');
      await writeFile(join(dir, 'etc', 'empty'), '');
      await writeFile(join(dir, 'etc', 'nonewline'), 'last');
      await writeFile(join(dir, 'etc', '.gitkeep'), '');
      await writeFile(join(dir, 'etc', 'README.md'), 'not a variable');
      await mkdir(join(dir, 'etc', 'subdir'));
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    test('one file per variable, its first line the value; a later directory wins; a missing one is skipped', async () => {
      const vars = await readVarsDirs([join(dir, 'usr'), join(dir, 'etc'), join(dir, 'nosuch')]);
      assert.deepEqual(vars, { contentdir: 'pub', stream: 'from-etc', crlf: 'value', empty: '', nonewline: 'last' });
    });

    test('loadRepoVars: every source together, in dnf’s order', async () => {
      const vars = await loadRepoVars({
        arch: 'aarch64',
        varsDirs: [join(dir, 'etc')],
        env: { DNF_VAR_stream: 'from-env', DNF_VAR_releasever: '40', DNF_VAR_only_env: 'e' },
        set: [['stream', 'from-setvar']],
        releasever: '41',
      });
      assert.equal(vars['arch'], 'aarch64');
      assert.equal(vars['basearch'], 'aarch64');
      assert.equal(vars['stream'], 'from-setvar', '--setvar over the environment over the directory');
      assert.equal(vars['releasever'], '41', '--releasever over DNF_VAR_releasever');
      assert.equal(vars['only_env'], 'e');
      assert.equal(vars['crlf'], 'value');
      const noEnv = await loadRepoVars({ arch: 'x86_64', env: false, set: { releasever: '42' } });
      assert.deepEqual(noEnv, { arch: 'x86_64', releasever_major: '42', releasever: '42', basearch: 'x86_64' });
      await assert.rejects(loadRepoVars({ set: { 'bad-name': 'x' } }), InvalidOptionError);
    });
  });
});

describe('properties', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/);
  // Values and literal text without $, \, { or }; literals start with a character that ends a name.
  const plain = fc.stringMatching(/^[-/.:?=&%~ ][-/.:?=&%~ A-Za-z0-9]{0,6}$/);

  test('expansion replaces every reference to a defined name, leaves the others, and reports exactly those', () => {
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.stringMatching(/^[-/.A-Za-z0-9]{0,8}$/), { maxKeys: 5 }),
        fc.array(fc.oneof(fc.record({ literal: plain }), fc.record({ ref: name, braces: fc.boolean() })), { maxLength: 10 }),
        (vars, tokens) => {
          const text = tokens.map((t) => ('literal' in t ? t.literal : t.braces ? `\${${t.ref}}` : `$${t.ref}`)).join('');
          // Two references or a reference and a name-like literal next to each other would make one name; keep them apart.
          fc.pre(tokens.every((t, i) => 'literal' in t || t.braces || !tokens[i + 1] || 'literal' in (tokens[i + 1] as object)));
          const defined = (n: string): boolean => Object.hasOwn(vars, n);
          const expected = tokens.map((t) => ('literal' in t ? t.literal : defined(t.ref) ? vars[t.ref] : t.braces ? `\${${t.ref}}` : `$${t.ref}`)).join('');
          const result = substituteVars(text, vars);
          assert.equal(result.text, expected);
          assert.deepEqual(result.unresolved, [...new Set(tokens.flatMap((t) => ('ref' in t && !defined(t.ref) ? [t.ref] : [])))]);
          assert.deepEqual(result.malformed, []);
          if (result.unresolved.length === 0) assert.equal(expandUrl(text, vars), expected);
          else assert.throws(() => expandUrl(text, vars), RepoVariableError);
        },
      ),
    );
  });
});
