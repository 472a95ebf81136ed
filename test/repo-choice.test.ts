/**
 * dnf's choice between repositories offering the same package (priority, then EVR, then arch, then
 * cost, then the order given; a test per tie-break), and `includepkgs`/`excludepkgs` as dnf matches
 * them (dnf5's spec forms, fnmatch globs).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { chooseAcrossRepos, compareCandidates, matchesPackageSpec, parseRepoFile, repoOffers, type ChoicePackage, type RepoCandidate } from '../src/index.js';
import { fnmatch } from '../src/repo/fnmatch.js';
import { specForms } from '../src/repo/repo-choice.js';
import { missing } from './helpers/system-tools.js';

/** Why glibc's fnmatch cannot be called here (python3's ctypes loads it), or undefined. */
function glibcMissing(): string | undefined {
  let available = true;
  try {
    execFileSync('python3', ['-c', "import ctypes,ctypes.util; assert ctypes.CDLL(ctypes.util.find_library('c')).fnmatch(b'a*', b'ab', 0) == 0"], { stdio: 'ignore' });
  } catch {
    available = false;
  }
  return missing(available, "python3 and glibc (to call glibc's own fnmatch)", 'packages python3, libc6');
}

const pkg = (version: string, release = '1.fc41', arch = 'x86_64', epoch?: number, name = 'bash'): ChoicePackage => ({ name, version, release, arch, ...(epoch !== undefined && { epoch }) });
const repo = (id: string, priority = 99, cost = 1000) => ({ id, priority, cost });
const cand = (id: string, priority: number, cost: number, p: ChoicePackage): RepoCandidate => ({ repo: repo(id, priority, cost), pkg: p });

describe("dnf's choice between repositories", () => {
  test('no candidates: nothing', () => {
    assert.equal(chooseAcrossRepos([]), undefined);
  });

  test('one candidate: it', () => {
    const c = cand('fedora', 99, 1000, pkg('5.2.32'));
    assert.deepEqual(chooseAcrossRepos([c]), { chosen: c, decidedBy: 'only', tied: [], reason: 'only fedora has bash' });
  });

  test('tie-break 1, priority: an older version in a better-priority repository beats a newer one, whatever the cost', () => {
    const fedora = cand('fedora', 99, 100, pkg('5.2.37'));
    const pinned = cand('pinned', 10, 5000, pkg('5.2.26'));
    const choice = chooseAcrossRepos([fedora, pinned]);
    assert.equal(choice?.chosen, pinned);
    assert.equal(choice?.decidedBy, 'priority');
    assert.equal(choice?.reason, 'pinned has priority 10, better than 99 (fedora)');
  });

  test('tie-break 2, EVR: at equal priority the highest epoch:version-release wins, whatever the cost', () => {
    const fedora = cand('fedora', 99, 100, pkg('5.2.32', '1.fc41'));
    const updates = cand('updates', 99, 5000, pkg('5.2.37', '1.fc41'));
    const other = cand('other', 99, 1000, pkg('5.2.32', '1.fc41'));
    const choice = chooseAcrossRepos([fedora, updates, other]);
    assert.equal(choice?.chosen, updates);
    assert.equal(choice?.decidedBy, 'evr');
    assert.equal(choice?.reason, 'updates has 5.2.37-1.fc41, newer than 5.2.32-1.fc41 (fedora, other), at priority 99');
    // rpm's order: the epoch first, the release after the version, ~ before anything
    assert.equal(chooseAcrossRepos([cand('a', 99, 1000, pkg('9.9')), cand('b', 99, 1000, pkg('1.0', '1', 'x86_64', 1))])?.chosen.repo.id, 'b');
    assert.equal(chooseAcrossRepos([cand('a', 99, 1000, pkg('1.0', '2.fc41')), cand('b', 99, 1000, pkg('1.0', '10.fc41'))])?.chosen.repo.id, 'b');
    assert.equal(chooseAcrossRepos([cand('a', 99, 1000, pkg('1.0')), cand('b', 99, 1000, pkg('1.0~rc1'))])?.chosen.repo.id, 'a');
  });

  test('tie-break 3, arch (when a preference is given): the arch listed first, before cost', () => {
    const noarch = cand('cheap', 99, 100, pkg('1.0', '1', 'noarch'));
    const native = cand('dear', 99, 5000, pkg('1.0', '1', 'x86_64'));
    const choice = chooseAcrossRepos([noarch, native], { arches: ['x86_64', 'noarch'] });
    assert.equal(choice?.chosen, native);
    assert.equal(choice?.decidedBy, 'arch');
    assert.equal(chooseAcrossRepos([noarch, native])?.decidedBy, 'cost', 'without a preference, arch decides nothing');
  });

  test('tie-break 4, cost: the same EVR at the same priority comes from the cheaper repository, wherever it is listed', () => {
    const fedora = cand('fedora', 99, 1000, pkg('5.2.37'));
    const local = cand('local-mirror', 99, 500, pkg('5.2.37'));
    const dear = cand('dear', 99, 2000, pkg('5.2.37'));
    const choice = chooseAcrossRepos([fedora, dear, local]);
    assert.equal(choice?.chosen, local);
    assert.equal(choice?.decidedBy, 'cost');
    assert.equal(choice?.reason, '5.2.37-1.fc41 at priority 99 in fedora, dear, local-mirror: local-mirror costs 500, less than 1000 (fedora)');
  });

  test('tie-break 5, order: equal on every rule, the first given is taken and the tie is stated', () => {
    const a = cand('mirror-a', 99, 1000, pkg('5.2.37'));
    const b = cand('mirror-b', 99, 1000, pkg('5.2.37'));
    const older = cand('mirror-c', 99, 1000, pkg('5.2.32'));
    const choice = chooseAcrossRepos([a, older, b]);
    assert.equal(choice?.chosen, a);
    assert.equal(choice?.decidedBy, 'order');
    assert.deepEqual(choice?.tied, [b]);
    assert.equal(choice?.reason, '5.2.37-1.fc41 at priority 99 and cost 1000 in mirror-a, mirror-b: a tie, the first given (mirror-a) taken');
  });

  test('configs from .repo files: priority and cost as written (updates-testing pinned low, a cheap local mirror)', () => {
    const repos = parseRepoFile(
      '[fedora]\nbaseurl=https://f/\n\n[updates]\nbaseurl=https://u/\n\n[local]\nbaseurl=file:///srv/u/\ncost=500\n\n[testing]\nbaseurl=https://t/\npriority=120\n',
    );
    const by = (id: string) => repos.find((r) => r.id === id) as (typeof repos)[number];
    const offers: RepoCandidate[] = [
      { repo: by('fedora'), pkg: pkg('5.2.32') },
      { repo: by('updates'), pkg: pkg('5.2.37') },
      { repo: by('local'), pkg: pkg('5.2.37') },
      { repo: by('testing'), pkg: pkg('5.2.40') },
    ];
    const choice = chooseAcrossRepos(offers);
    assert.equal(choice?.chosen.repo.id, 'local', 'testing is at a worse priority; local and updates have 5.2.37; local is cheaper');
    assert.equal(choice?.decidedBy, 'cost');
  });

  test('sorting by compareCandidates puts first what chooseAcrossRepos chooses', () => {
    const arb = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd'),
      priority: fc.constantFrom(1, 50, 99),
      cost: fc.constantFrom(500, 1000),
      version: fc.constantFrom('1.0', '1.1', '1.0~rc1', '2'),
      epoch: fc.constantFrom(0, 1),
      arch: fc.constantFrom('x86_64', 'noarch'),
    });
    fc.assert(
      fc.property(fc.array(arb, { minLength: 1, maxLength: 6 }), fc.boolean(), (rows, withArches) => {
        const candidates = rows.map((r) => cand(r.id, r.priority, r.cost, pkg(r.version, '1', r.arch, r.epoch)));
        const options = withArches ? { arches: ['x86_64', 'noarch'] } : {};
        const sorted = [...candidates].sort((x, y) => compareCandidates(x, y, options));
        const choice = chooseAcrossRepos(candidates, options);
        assert.equal(choice?.chosen, sorted[0]);
        for (const t of choice?.tied ?? []) assert.equal(compareCandidates(t, choice!.chosen, options), 0);
        for (const c of candidates) assert.ok(compareCandidates(choice!.chosen, c, options) <= 0);
      }),
    );
  });
});

describe('includepkgs and excludepkgs', () => {
  const kernel = pkg('6.11.4', '301.fc41', 'x86_64', undefined, 'kernel-core');
  const glibc32 = pkg('2.40', '3.fc41', 'i686', undefined, 'glibc');
  const srpm = pkg('5.2.32', '1.fc41', 'src', undefined, 'bash');
  const epoch = pkg('1.0', '1', 'noarch', 2, 'foo');

  test('a name, or a name glob (*, ?, [...])', () => {
    assert.ok(matchesPackageSpec('kernel-core', kernel));
    assert.ok(matchesPackageSpec('kernel*', kernel));
    assert.ok(matchesPackageSpec('kern?l-core', kernel));
    assert.ok(matchesPackageSpec('[jk]ernel-core', kernel));
    assert.ok(!matchesPackageSpec('kernel', kernel), 'no prefix match without a glob');
    assert.ok(!matchesPackageSpec('Kernel*', kernel), 'case-sensitive');
    assert.ok(matchesPackageSpec('bash', srpm), 'source packages count');
  });

  test('NAME.ARCH, N-V, N-V-R, N-[E:]V-R.A, with globs in any field', () => {
    assert.ok(matchesPackageSpec('glibc.i686', glibc32));
    assert.ok(!matchesPackageSpec('glibc.x86_64', glibc32));
    assert.ok(matchesPackageSpec('glibc.i?86', glibc32));
    assert.ok(matchesPackageSpec('*.i686', glibc32));
    assert.ok(matchesPackageSpec('kernel-core-6.11.4', kernel));
    assert.ok(matchesPackageSpec('kernel-core-6.*', kernel));
    assert.ok(!matchesPackageSpec('kernel-core-6.10*', kernel));
    assert.ok(matchesPackageSpec('kernel-core-6.11.4-301.fc41', kernel));
    assert.ok(matchesPackageSpec('kernel-core-6.11.4-301.fc41.x86_64', kernel));
    assert.ok(matchesPackageSpec('kernel-core-0:6.11.4-301.fc41.x86_64', kernel));
    assert.ok(!matchesPackageSpec('kernel-core-1:6.11.4-301.fc41.x86_64', kernel));
    assert.ok(matchesPackageSpec('foo-2:1.0-1.noarch', epoch));
    assert.ok(matchesPackageSpec('foo-1.0-1', epoch), 'no epoch in the spec: any epoch');
  });

  test('a glob no field reading matches is tried against the whole name-[epoch:]version-release.arch', () => {
    assert.ok(matchesPackageSpec('kernel*x86_64', kernel));
    assert.ok(matchesPackageSpec('foo-2:*', epoch));
    assert.ok(!matchesPackageSpec('kernel*i686', kernel));
  });

  test("specs dnf cannot read match nothing ('(', '/', '=', '<', '>', a space, ':' twice)", () => {
    for (const spec of ['kernel(x86-64)', '/usr/bin/bash', 'bash = 5', 'bash>5', 'bash 5', 'a-1:2:3-4']) assert.equal(matchesPackageSpec(spec, kernel), false, spec);
  });

  test("dnf5's spec forms (its test_nevra cases)", () => {
    const forms = specForms('four-of-fish-8:3.6.9-11.fc100.x86_64');
    assert.deepEqual(forms[0], { name: 'four-of-fish', epoch: '8', version: '3.6.9', release: '11.fc100', arch: 'x86_64' });
    assert.ok(!specForms('four-of-f:ish-3.6.9-11.fc100.x86_64').some((f) => f.arch !== undefined && f.release !== undefined), "':' in the name: no NEVRA");
    assert.deepEqual(specForms('four-of-fish-8:9:3.6.9-11.fc100.x86_64'), []);
    assert.deepEqual(specForms('fish-8:3.6.9').filter((f) => f.release === undefined), [{ name: 'fish', epoch: '8', version: '3.6.9' }]);
    assert.deepEqual(specForms('four-of-fish-3.6.9.i686').filter((f) => f.version === undefined && f.arch !== undefined), [{ name: 'four-of-fish-3.6.9', arch: 'i686' }]);
    for (const s of ['name.ar-ch', 'name.-arch', 'name.']) assert.ok(!specForms(s).some((f) => f.version === undefined && f.arch !== undefined), s);
    assert.deepEqual(specForms('[a-c]-x'), [{ name: '[a-c]-x' }, { name: '[a-c]', version: 'x' }], "'-' inside [...] is not a separator");
  });

  test('a repository offers: with includes only what they match; never what an exclude matches (excludes win)', () => {
    const [r] = parseRepoFile('[r]\nbaseurl=https://r/\nincludepkgs=kernel* glibc\nexcludepkgs=glibc.i686\n');
    assert.ok(r);
    assert.ok(repoOffers(r, kernel));
    assert.ok(!repoOffers(r, glibc32), 'included by name, excluded by name.arch');
    assert.ok(repoOffers(r, pkg('2.40', '3.fc41', 'x86_64', undefined, 'glibc')));
    assert.ok(!repoOffers(r, srpm), 'not included');
    assert.ok(repoOffers({ includepkgs: [], excludepkgs: [] }, srpm), 'no filters: everything');
    assert.ok(!repoOffers({ includepkgs: [], excludepkgs: ['bash'] }, srpm));
  });
});

describe('fnmatch (glibc, flags 0)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', '', true], ['*', 'a/b.c', true], ['a*', 'abc', true], ['a*c', 'abxc', true], ['a*c', 'abxd', false],
    ['?', 'a', true], ['?', '', false], ['a?c', 'abc', true],
    ['[abc]', 'b', true], ['[a-c]', 'd', false], ['[!a-c]', 'd', true], ['[^a-c]', 'a', false], ['[]a]', ']', true],
    ['[a-]', '-', true], ['[[:digit:]]x', '5x', true], ['[[:alpha:]]', '5', false], ['[[:upper:][:digit:]]', 'Q', true],
    ['\\*', '*', true], ['\\*', 'a', false], ['[', '[', true], ['a[b', 'a[b', true], ['[z-a]', 'm', false], ['.*', '.hidden', true],
    ['a.c', 'abc', false], ['a+b', 'a+b', true], ['(x)', '(x)', true], ['[\\]]', ']', true],
    ['[[:foo:]]', 'f', false], ['a\\', 'a\\', false],
  ];
  for (const [pattern, text, expected] of cases) {
    test(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      assert.equal(fnmatch(pattern, text), expected);
    });
  }

  test('agrees with glibc fnmatch(pattern, text, 0) on 5000 generated pairs', { skip: glibcMissing() }, () => {
    const token = fc.constantFrom('a', 'b', '-', ']', '[', '!', '^', '*', '?', '\\', ':', '.', 'z', '1', '[:alpha:]', '[:digit:]', '[:foo:]');
    const pairs = fc.sample(
      fc.tuple(fc.array(token, { maxLength: 7 }).map((a) => a.join('')), fc.array(fc.constantFrom('a', 'b', '-', ']', '[', '!', '1', 'z', ':', '\\', '.'), { maxLength: 4 }).map((a) => a.join(''))),
      { numRuns: 5000, seed: 11 },
    );
    const py = "import json,sys,ctypes,ctypes.util\nlibc=ctypes.CDLL(ctypes.util.find_library('c'))\nfor p,t in json.load(sys.stdin): print(1 if libc.fnmatch(p.encode(),t.encode(),0)==0 else 0)";
    const glibc = execFileSync('python3', ['-c', py], { input: JSON.stringify(pairs) }).toString().trim().split('\n').map(Number);
    // glibc stops reading a bracket once a character matched, so an unknown class after it goes unseen.
    const quirk = (p: string): boolean => p.includes('[:foo:]');
    const differ = pairs.filter(([p, t], i) => !quirk(p) && (fnmatch(p, t) ? 1 : 0) !== glibc[i]);
    assert.deepEqual(differ, []);
  });
});
