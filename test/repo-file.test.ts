/**
 * `.repo` files as dnf reads them: Fedora's own fedora.repo and fedora-updates.repo and a COPR one
 * (written in their shape), dnf's INI dialect (libdnf5's IniParser cases), every key's meaning and
 * default, lists, booleans, times and rates, several files and directories, and every malformed
 * input refused with its file and line.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { FileReadError, InvalidOptionError, RepoFileError, RepoVariableError } from '../src/errors.js';
import { loadRepoFiles, parseRepoFile, repoSource, selectRepos, type RepoConfig } from '../src/index.js';
import { parseIni, parseRepoList } from '../src/repo/repo-file.js';

/** Fedora 41's /etc/yum.repos.d/fedora.repo, in its shape. */
const FEDORA_REPO = `[fedora]
name=Fedora $releasever - $basearch
#baseurl=http://download.example/pub/fedora/linux/releases/$releasever/Everything/$basearch/os/
metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever&arch=$basearch
enabled=1
countme=1
metadata_expire=7d
repo_gpgcheck=0
type=rpm
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False

[fedora-debuginfo]
name=Fedora $releasever - $basearch - Debug
#baseurl=http://download.example/pub/fedora/linux/releases/$releasever/Everything/$basearch/debug/tree/
metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-debug-$releasever&arch=$basearch
enabled=0
metadata_expire=7d
repo_gpgcheck=0
type=rpm
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False

[fedora-source]
name=Fedora $releasever - Source
#baseurl=http://download.example/pub/fedora/linux/releases/$releasever/Everything/source/tree/
metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-source-$releasever&arch=$basearch
enabled=0
metadata_expire=7d
repo_gpgcheck=0
type=rpm
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False
`;

/** Fedora 41's fedora-updates.repo, in its shape. */
const UPDATES_REPO = `[updates]
name=Fedora $releasever - $basearch - Updates
#baseurl=http://download.example/pub/fedora/linux/updates/$releasever/Everything/$basearch/
metalink=https://mirrors.fedoraproject.org/metalink?repo=updates-released-f$releasever&arch=$basearch
enabled=1
countme=1
repo_gpgcheck=0
type=rpm
gpgcheck=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False

[updates-debuginfo]
name=Fedora $releasever - $basearch - Updates - Debug
#baseurl=http://download.example/pub/fedora/linux/updates/$releasever/Everything/$basearch/debug/
metalink=https://mirrors.fedoraproject.org/metalink?repo=updates-released-debug-f$releasever&arch=$basearch
enabled=0
repo_gpgcheck=0
type=rpm
gpgcheck=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False

[updates-source]
name=Fedora $releasever - Updates Source
#baseurl=http://download.example/pub/fedora/linux/updates/$releasever/Everything/SRPMS/
metalink=https://mirrors.fedoraproject.org/metalink?repo=updates-released-source-f$releasever&arch=$basearch
enabled=0
repo_gpgcheck=0
type=rpm
gpgcheck=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False
`;

/** What `dnf copr enable owner/proj` writes (`_copr:copr.fedorainfracloud.org:owner:proj.repo`). */
const COPR_REPO = `[copr:copr.fedorainfracloud.org:owner:proj]
name=Copr repo for proj owned by owner
baseurl=https://download.copr.fedorainfracloud.org/results/owner/proj/fedora-$releasever-$basearch/
type=rpm-md
skip_if_unavailable=True
gpgcheck=1
gpgkey=https://download.copr.fedorainfracloud.org/results/owner/proj/pubkey.gpg
repo_gpgcheck=0
enabled=1
enabled_metadata=1
`;

const COPR_ID = 'copr:copr.fedorainfracloud.org:owner:proj';
const VARS = { releasever: '41', basearch: 'x86_64', arch: 'x86_64' };

/** The one repository of a text. */
function one(text: string, options: Parameters<typeof parseRepoFile>[1] = {}): RepoConfig {
  const configs = parseRepoFile(`[r]\n${text}`, options);
  assert.equal(configs.length, 1);
  return configs[0] as RepoConfig;
}

/** Asserts `fn` throws a RepoFileError at `file:line` whose message matches `pattern`. */
function refuses(fn: () => unknown, line: number, pattern: RegExp, file = 'bad.repo'): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RepoFileError, String(error));
    assert.equal(error.code, 'ERR_REPO_FILE');
    assert.equal(error.file, file);
    assert.equal(error.line, line);
    assert.ok(error.message.startsWith(`${file}:${line}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe("Fedora's .repo files", () => {
  test('fedora.repo: three sections, only [fedora] enabled, metalink kept with its variables', () => {
    const repos = parseRepoFile(FEDORA_REPO, { file: 'fedora.repo' });
    assert.deepEqual(repos.map((r) => [r.id, r.enabled, r.line]), [['fedora', true, 1], ['fedora-debuginfo', false, 14], ['fedora-source', false, 26]]);
    const fedora = repos[0] as RepoConfig;
    assert.equal(fedora.file, 'fedora.repo');
    assert.equal(fedora.name, 'Fedora $releasever - $basearch');
    assert.equal(fedora.metalink, 'https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever&arch=$basearch');
    assert.deepEqual(fedora.baseurl, [], 'the commented-out baseurl is a comment');
    assert.equal(fedora.mirrorlist, undefined);
    assert.deepEqual(fedora.gpgkey, ['file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch']);
    assert.equal(fedora.gpgcheck, true);
    assert.equal(fedora.repoGpgcheck, false);
    assert.equal(fedora.skipIfUnavailable, false);
    assert.equal(fedora.metadataExpire, 7 * 86400);
    assert.deepEqual(fedora.extra, { countme: '1', type: 'rpm' });
    assert.equal(fedora.lines['metalink'], 4);
    assert.equal(fedora.lines['gpgkey'], 11);
    // dnf's defaults for everything the file leaves out
    assert.equal(fedora.sslverify, true);
    assert.equal(fedora.timeout, 30);
    assert.equal(fedora.minrate, 1000);
    assert.equal(fedora.maxParallelDownloads, 3);
    assert.equal(fedora.priority, 99);
    assert.equal(fedora.cost, 1000);
    assert.deepEqual([fedora.includepkgs, fedora.excludepkgs], [[], []]);
    for (const key of ['proxy', 'proxyUsername', 'proxyPassword', 'username', 'password', 'sslcacert', 'sslclientcert', 'sslclientkey'] as const) {
      assert.equal(fedora[key], undefined, key);
    }
    assert.deepEqual(repoSource(fedora), { kind: 'metalink', url: fedora.metalink });
  });

  test('fedora.repo with variables: the metalink and gpgkey are what dnf would request', () => {
    const [fedora, debuginfo, source] = parseRepoFile(FEDORA_REPO, { file: 'fedora.repo', vars: VARS });
    assert.equal(fedora?.metalink, 'https://mirrors.fedoraproject.org/metalink?repo=fedora-41&arch=x86_64');
    assert.deepEqual(fedora?.gpgkey, ['file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-41-x86_64']);
    assert.equal(fedora?.name, 'Fedora 41 - x86_64');
    assert.equal(debuginfo?.metalink, 'https://mirrors.fedoraproject.org/metalink?repo=fedora-debug-41&arch=x86_64');
    assert.equal(source?.metalink, 'https://mirrors.fedoraproject.org/metalink?repo=fedora-source-41&arch=x86_64');
    assert.equal(source?.name, 'Fedora 41 - Source');
  });

  test('fedora-updates.repo: metadata_expire=6h, updates-released-f$releasever', () => {
    const repos = parseRepoFile(UPDATES_REPO, { file: 'fedora-updates.repo', vars: VARS });
    assert.deepEqual(repos.map((r) => [r.id, r.enabled]), [['updates', true], ['updates-debuginfo', false], ['updates-source', false]]);
    assert.equal(repos[0]?.metadataExpire, 6 * 3600);
    assert.equal(repos[0]?.metalink, 'https://mirrors.fedoraproject.org/metalink?repo=updates-released-f41&arch=x86_64');
    assert.equal(repos[2]?.metalink, 'https://mirrors.fedoraproject.org/metalink?repo=updates-released-source-f41&arch=x86_64');
  });

  test('a COPR repository: baseurl with variables, https gpgkey, skip_if_unavailable=True, enabled_metadata kept as extra', () => {
    const [copr] = parseRepoFile(COPR_REPO, { file: '_copr:copr.fedorainfracloud.org:owner:proj.repo', vars: VARS });
    assert.ok(copr);
    assert.equal(copr.id, COPR_ID, "':' and '.' are allowed in repository ids");
    assert.deepEqual(copr.baseurl, ['https://download.copr.fedorainfracloud.org/results/owner/proj/fedora-41-x86_64/']);
    assert.deepEqual(copr.gpgkey, ['https://download.copr.fedorainfracloud.org/results/owner/proj/pubkey.gpg']);
    assert.equal(copr.skipIfUnavailable, true);
    assert.equal(copr.repoGpgcheck, false);
    assert.equal(copr.gpgcheck, true);
    assert.equal(copr.enabled, true);
    assert.deepEqual(copr.extra, { type: 'rpm-md', enabled_metadata: '1' });
    assert.deepEqual(repoSource(copr), { kind: 'baseurl', urls: copr.baseurl });
  });

  test('without a value for $releasever, a URL key is refused naming the variable, the repository, the key and the line', () => {
    assert.throws(
      () => parseRepoFile(FEDORA_REPO, { file: 'fedora.repo', vars: { basearch: 'x86_64', arch: 'x86_64' } }),
      (error: unknown) => {
        assert.ok(error instanceof RepoVariableError);
        assert.equal(error.code, 'ERR_REPO_VARIABLE');
        assert.equal(error.variable, 'releasever');
        assert.equal(error.repoId, 'fedora');
        assert.equal(error.key, 'metalink');
        assert.equal(error.file, 'fedora.repo');
        assert.equal(error.line, 4);
        assert.match(error.message, /^fedora\.repo:4: \[fedora\] metalink: variable \$releasever has no value \(give --releasever/);
        return true;
      },
    );
  });

  test('a variable without a value in the name (not a URL) stays as written, as dnf leaves it', () => {
    const repo = one('name=Extras for $nosuch\nbaseurl=https://x/$basearch/', { vars: VARS });
    assert.equal(repo.name, 'Extras for $nosuch');
    assert.deepEqual(repo.baseurl, ['https://x/x86_64/']);
  });

  test('variables in the section name make the repository id, as dnf substitutes them', () => {
    const [repo] = parseRepoFile('[local-$basearch]\nbaseurl=file:///srv/repo/\n', { vars: VARS });
    assert.equal(repo?.id, 'local-x86_64');
    assert.equal(repo?.name, 'local-x86_64');
    assert.equal(parseRepoFile('[local-$basearch]\nbaseurl=file:///srv/repo/\n')[0]?.id, 'local-$basearch', 'without vars, as written');
  });
});

describe('loadRepoFiles', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rpmfetch-repofile-'));
    await mkdir(join(dir, 'yum.repos.d'));
    await writeFile(join(dir, 'yum.repos.d', 'fedora.repo'), FEDORA_REPO);
    await writeFile(join(dir, 'yum.repos.d', 'fedora-updates.repo'), UPDATES_REPO);
    await writeFile(join(dir, 'yum.repos.d', '_copr:copr.fedorainfracloud.org:owner:proj.repo'), COPR_REPO);
    await writeFile(join(dir, 'yum.repos.d', 'README'), 'not a repo file = ignored');
    await writeFile(join(dir, 'yum.repos.d', 'old.repo.rpmsave'), '[old]\nbaseurl=x');
    await mkdir(join(dir, 'yum.repos.d', 'sub.repo'));
    await writeFile(join(dir, 'again.repo'), '[extra]\nbaseurl=https://extra/\n\n[updates]\nbaseurl=https://other/\n');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test('a directory: every *.repo regular file, sorted by name as dnf reads /etc/yum.repos.d', async () => {
    const repos = await loadRepoFiles([join(dir, 'yum.repos.d')], { vars: VARS });
    assert.deepEqual(
      repos.map((r) => r.id),
      [COPR_ID, 'updates', 'updates-debuginfo', 'updates-source', 'fedora', 'fedora-debuginfo', 'fedora-source'],
    );
    assert.equal(repos[1]?.file, join(dir, 'yum.repos.d', 'fedora-updates.repo'));
    assert.deepEqual(selectRepos(repos).map((r) => r.id), [COPR_ID, 'updates', 'fedora'], 'default: the enabled ones');
    assert.deepEqual(selectRepos(repos, ['fedora-source']).map((r) => r.id), ['fedora-source'], '--repoid picks a disabled one too');
    assert.deepEqual(selectRepos(repos, ['updates*']).map((r) => r.id), ['updates', 'updates-debuginfo', 'updates-source'], 'globs, as dnf5 --repo');
    assert.throws(() => selectRepos(repos, ['nosuch']), (e: unknown) => e instanceof InvalidOptionError && /no repository "nosuch".*fedora, fedora-debuginfo/.test(e.message));
  });

  test('files in the order given; a file given twice is read once', async () => {
    const fedora = join(dir, 'yum.repos.d', 'fedora.repo');
    const repos = await loadRepoFiles([fedora, join(dir, 'yum.repos.d', 'fedora-updates.repo'), fedora]);
    assert.deepEqual(repos.map((r) => r.id), ['fedora', 'fedora-debuginfo', 'fedora-source', 'updates', 'updates-debuginfo', 'updates-source']);
  });

  test('a repository id defined in two files is refused, naming both', async () => {
    const updates = join(dir, 'yum.repos.d', 'fedora-updates.repo');
    const again = join(dir, 'again.repo');
    await assert.rejects(loadRepoFiles([updates, again]), (error: unknown) => {
      assert.ok(error instanceof RepoFileError);
      assert.equal(error.file, again);
      assert.equal(error.line, 4);
      assert.ok(error.message.includes(`${updates}:1`), error.message);
      assert.match(error.message, /repository id "updates" is defined in .* and again here/);
      return true;
    });
  });

  test('a missing file is a FileReadError', async () => {
    await assert.rejects(loadRepoFiles([join(dir, 'nosuch.repo')]), (e: unknown) => e instanceof FileReadError && e.code === 'ERR_FILE_UNREADABLE');
  });
});

describe("dnf's INI dialect (libdnf5's IniParser cases)", () => {
  const entries = (text: string): Array<[string, Array<[string, string]>]> =>
    parseIni(text).map((s) => [s.name, [...s.entries].map(([k, v]): [string, string] => [k, v.value])]);

  test('key = value in every spacing, comments with # and ;, multi-line values, a comment after a section header', () => {
    const text =
      '[section1]\nkey1 = value1\nkey2 =value2\n\nkey3= value3\n# Comment1\nkey4=value4\n;Comment2\nkey5    = value5\n' +
      'key6 = two line\n value1\n\nkey7 = two line\n value2\nkey8 = value8\n\n[section2]  # Test section2\n\nkey1 = value1\n';
    assert.deepEqual(entries(text), [
      ['section1', [['key1', 'value1'], ['key2', 'value2'], ['key3', 'value3'], ['key4', 'value4'], ['key5', 'value5'], ['key6', 'two line\nvalue1'], ['key7', 'two line\nvalue2'], ['key8', 'value8']]],
      ['section2', [['key1', 'value1']]],
    ]);
  });

  test('blank-only lines inside a value, trailing blanks, [ ] inside a section name, no newline at the end', () => {
    const text = '\n# c1\n# c2\n[section1]\nkey1 = value1\nkey2 = two line  \n    value2\nkey3 = multi line\n    with\n    \n    value3\nkey4 = value4\n[sect[i]on2]; Test section2\n  \nkey1 = value1';
    assert.deepEqual(entries(text), [
      ['section1', [['key1', 'value1'], ['key2', 'two line\nvalue2'], ['key3', 'multi line\nwith\n\nvalue3'], ['key4', 'value4']]],
      ['sect[i]on2', [['key1', 'value1']]],
    ]);
  });

  test('CRLF line ends, a UTF-8 BOM, tabs, quotes around a whole value, a repeated key (the last wins, in its first place)', () => {
    const text = '\uFEFF[a]\r\nk1\t=\t"quoted value"\r\nk2 = \'single\'\r\nk3 = "not closed\r\nk1 = again\r\nk4 = "a" b "c"\r\n';
    assert.deepEqual(entries(text), [['a', [['k1', 'again'], ['k2', 'single'], ['k3', '"not closed'], ['k4', 'a" b "c']]]]);
  });

  test('no comments after a value: "#" there is part of it (as in dnf)', () => {
    assert.equal(one('name=Foo # not a comment').name, 'Foo # not a comment');
  });

  test('[main] is not a repository', () => {
    assert.deepEqual(parseRepoFile('[main]\ngpgcheck=1\n\n[r]\nbaseurl=https://r/\n').map((r) => r.id), ['r']);
  });

  test('baseurl on several lines, separated by commas, blanks and line ends', () => {
    const repo = one('baseurl=https://a/,https://b/\n  https://c/ https://d/ ,, https://e/\n\thttps://f/');
    assert.deepEqual(repo.baseurl, ['https://a/', 'https://b/', 'https://c/', 'https://d/', 'https://e/', 'https://f/']);
  });

  test('lists: a backslash escapes a separator', () => {
    assert.deepEqual(parseRepoList('a\\ b,c\\,d e'), { items: ['a b', 'c,d', 'e'], clear: false });
    assert.deepEqual(parseRepoList(''), { items: [], clear: true });
    assert.deepEqual(parseRepoList(',foo'), { items: ['foo'], clear: true });
    assert.deepEqual(parseRepoList(' ,foo'), { items: ['foo'], clear: true });
  });

  test('excludepkgs and exclude append in the order the section gives them; an empty value (or a leading comma) clears', () => {
    assert.deepEqual(one('excludepkgs=a b\nexclude=c').excludepkgs, ['a', 'b', 'c']);
    assert.deepEqual(one('exclude=c\nexcludepkgs=a,b').excludepkgs, ['c', 'a', 'b']);
    assert.deepEqual(one('exclude=c\nexcludepkgs=').excludepkgs, []);
    assert.deepEqual(one('exclude=c\nexcludepkgs=,a').excludepkgs, ['a']);
    assert.deepEqual(one('includepkgs=kernel*, bash\n  glibc').includepkgs, ['kernel*', 'bash', 'glibc']);
  });

  test('gpgcheck and pkg_gpgcheck are one option: the later wins', () => {
    assert.equal(one('gpgcheck=1\npkg_gpgcheck=0').gpgcheck, false);
    assert.equal(one('pkg_gpgcheck=0\ngpgcheck=1').gpgcheck, true);
    assert.equal(one('pkg_gpgcheck=yes').gpgcheck, true);
  });

  test('several gpgkeys, on one line or continued', () => {
    assert.deepEqual(one('gpgkey=file:///a.key\n  https://b/key.gpg').gpgkey, ['file:///a.key', 'https://b/key.gpg']);
  });

  test("booleans as dnf reads them: 1/0, yes/no, true/false, on/off, any case", () => {
    for (const value of ['1', 'yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On']) assert.equal(one(`enabled=${value}`).enabled, true, value);
    for (const value of ['0', 'no', 'No', 'false', 'False', 'off', 'OFF']) assert.equal(one(`enabled=${value}`).enabled, false, value);
    assert.equal(one('sslverify=0').sslverify, false);
    assert.equal(one('skip_if_unavailable=on').skipIfUnavailable, true);
    assert.equal(one('repo_gpgcheck=1').repoGpgcheck, true);
  });

  test('proxy: a URL, or disabled by _none_ (any case) or an empty value; absent when not set', () => {
    assert.equal(one('proxy=http://proxy:3128').proxy, 'http://proxy:3128');
    assert.equal(one('proxy=_none_').proxy, false);
    assert.equal(one('proxy=_NONE_').proxy, false);
    assert.equal(one('proxy=').proxy, false);
    assert.equal('proxy' in one('baseurl=x'), false);
    const repo = one('proxy_username=u\nproxy_password=p\nusername=user\npassword=pa$$word\nsslcacert=/ca.pem\nsslclientcert=/c.pem\nsslclientkey=/k.pem\nsslverify=no');
    assert.deepEqual(
      [repo.proxyUsername, repo.proxyPassword, repo.username, repo.password, repo.sslcacert, repo.sslclientcert, repo.sslclientkey, repo.sslverify],
      ['u', 'p', 'user', 'pa$$word', '/ca.pem', '/c.pem', '/k.pem', false],
    );
    assert.equal(one('password=pa$$word', { vars: VARS }).password, 'pa$$word', 'a password is not a URL: no variable there is required');
    assert.equal(one('username=').username, undefined, 'empty is not set');
  });

  test('times (timeout, metadata_expire): seconds, s/m/h/d units, never and -1', () => {
    assert.equal(one('timeout=10').timeout, 10);
    assert.equal(one('timeout=1.5m').timeout, 90);
    assert.equal(one('metadata_expire=never').metadataExpire, -1);
    assert.equal(one('metadata_expire=-1').metadataExpire, -1);
    assert.equal(one('metadata_expire=90').metadataExpire, 90);
    assert.equal(one('metadata_expire=30s').metadataExpire, 30);
    assert.equal(one('metadata_expire=15m').metadataExpire, 900);
    assert.equal(one('metadata_expire=1.5h').metadataExpire, 5400);
    assert.equal(one('metadata_expire=2D').metadataExpire, 172800);
    assert.equal(one('baseurl=x').metadataExpire, 172800, 'default 48 h');
  });

  test('minrate in bytes per second with k/M/G (1024-based); numbers for max_parallel_downloads, priority, cost', () => {
    assert.equal(one('minrate=500').minrate, 500);
    assert.equal(one('minrate=1k').minrate, 1024);
    assert.equal(one('minrate=1.5K').minrate, 1536);
    assert.equal(one('minrate=2M').minrate, 2 * 1024 * 1024);
    assert.equal(one('minrate=0').minrate, 0);
    assert.equal(one('max_parallel_downloads=10').maxParallelDownloads, 10);
    assert.equal(one('priority=10').priority, 10);
    assert.equal(one('priority=-5').priority, -5);
    assert.equal(one('cost=500').cost, 500);
  });

  test('unknown keys are kept as written and ignored (a __proto__ key too)', () => {
    const repo = one('fastestmirror=1\nmodule_hotfixes=true\nbandwidth=1M\n__proto__=x\nEnabled=0');
    assert.deepEqual({ ...repo.extra }, { fastestmirror: '1', module_hotfixes: 'true', bandwidth: '1M', ['__proto__']: 'x', Enabled: '0' });
    assert.equal(Object.getPrototypeOf(repo.extra), Object.prototype);
    assert.equal(repo.enabled, true, 'keys are case-sensitive, as in dnf');
  });

  test('name defaults to the id', () => {
    assert.equal(one('baseurl=x').name, 'r');
  });
});

describe('where the mirrors come from: metalink > mirrorlist > baseurl', () => {
  test('metalink wins over mirrorlist and baseurl', () => {
    assert.deepEqual(repoSource(one('baseurl=https://b/\nmirrorlist=https://m/\nmetalink=https://ml/')), { kind: 'metalink', url: 'https://ml/' });
  });
  test('mirrorlist wins over baseurl; a mirrorlist URL naming "metalink" may answer with one', () => {
    assert.deepEqual(repoSource(one('baseurl=https://b/\nmirrorlist=https://m/list')), { kind: 'mirrorlist', url: 'https://m/list', mayBeMetalink: false });
    assert.deepEqual(repoSource(one('mirrorlist=https://mirrors.example/metalink?repo=x')), { kind: 'mirrorlist', url: 'https://mirrors.example/metalink?repo=x', mayBeMetalink: true });
  });
  test('an empty metalink or mirrorlist is not set', () => {
    assert.deepEqual(repoSource(one('baseurl=https://b/\nmirrorlist=\nmetalink=')), { kind: 'baseurl', urls: ['https://b/'] });
  });
  test('no source at all is refused, naming the file and section', () => {
    refuses(() => repoSource(one('name=nothing', { file: 'bad.repo' })), 1, /repository "r" has no source: set baseurl, mirrorlist or metalink/);
  });
});

describe('malformed .repo files: refused with the file and the line', () => {
  const parse = (text: string) => () => parseRepoFile(text, { file: 'bad.repo' });

  test('a key before any [section]', () => {
    refuses(parse('# my repo\nbaseurl=https://x/\n[r]\n'), 2, /"baseurl=https:\/\/x\/" comes before any \[section\]/);
  });
  test('a key without "="', () => {
    refuses(parse('[r]\nname=ok\nbaseurl https://x/\n'), 3, /missing "=" in "baseurl https:\/\/x\/"/);
  });
  test('a "=" without a key', () => {
    refuses(parse('[r]\n= value\n'), 2, /missing key before "="/);
  });
  test('a bad boolean', () => {
    refuses(parse('[r]\nbaseurl=x\nenabled=maybe\n'), 3, /\[r\] enabled: "maybe" is not a boolean \(1\/0, yes\/no, true\/false, on\/off\)/);
    refuses(parse('[r]\ngpgcheck=\n'), 2, /\[r\] gpgcheck: "" is not a boolean/);
  });
  test('an empty section name', () => {
    refuses(parse('[r]\nbaseurl=x\n[] # nothing\n'), 3, /empty section name/);
  });
  test('a section defined twice', () => {
    refuses(parse('[r]\nbaseurl=x\n\n[r]\nbaseurl=y\n'), 4, /section \[r\] defined twice \(first at line 1\)/);
  });
  test('two sections that are one repository once variables are substituted', () => {
    assert.throws(
      () => parseRepoFile('[r-$basearch]\nbaseurl=x\n[r-x86_64]\nbaseurl=y\n', { file: 'bad.repo', vars: VARS }),
      (e: unknown) => e instanceof RepoFileError && e.line === 3 && /repository id "r-x86_64" defined twice \(first at line 1\)/.test(e.message),
    );
  });
  test('a section header without its "]", or with text after it', () => {
    refuses(parse('[r\nbaseurl=x\n'), 1, /missing "\]"/);
    refuses(parse('[sect[ion1]\nbaseurl=x\n'), 1, /missing "\]"/);
    refuses(parse('[r] Test\nbaseurl=x\n'), 1, /text after the section header/);
  });
  test('an indented line that continues nothing', () => {
    refuses(parse('[r] # Test\n    baseurl = https://x/\n'), 2, /indented line "baseurl = https:\/\/x\/" continues no value/);
    refuses(parse('[r]\nbaseurl=https://x/\n\n  https://y/\n'), 4, /continues no value/);
  });
  test('a repository id with characters dnf refuses', () => {
    refuses(parse('[my repo]\nbaseurl=x\n'), 1, /invalid repository id "my repo": a space is not allowed/);
    refuses(parse('[r/1]\nbaseurl=x\n'), 1, /invalid repository id "r\/1": "\/" is not allowed/);
    refuses(parse('[r-$releasever/]\nbaseurl=x\n'), 1, /invalid repository id "r-\$releasever\/": "\/" is not allowed/);
    assert.throws(() => parseRepoFile('[r-$x]\nbaseurl=y\n', { file: 'bad.repo', vars: { x: 'a b' } }), /bad\.repo:1: invalid repository id "r-a b": a space/);
  });
  test('bad numbers, times and rates', () => {
    refuses(parse('[r]\npriority=high\n'), 2, /\[r\] priority: "high" is not a whole number/);
    refuses(parse('[r]\npriority=10 # comment\n'), 2, /not a whole number/);
    refuses(parse('[r]\ncost=99999999999\n'), 2, /outside/);
    refuses(parse('[r]\nmax_parallel_downloads=0\n'), 2, /outside 1/);
    refuses(parse('[r]\ntimeout=\n'), 2, /empty time/);
    refuses(parse('[r]\nmetadata_expire=2w\n'), 2, /unknown time unit "w"/);
    refuses(parse('[r]\nmetadata_expire=-5\n'), 2, /negative/);
    refuses(parse('[r]\nmetadata_expire=soon\n'), 2, /not a number of seconds/);
    refuses(parse('[r]\nminrate=1T\n'), 2, /unknown unit "T"/);
    refuses(parse('[r]\nminrate=-1\n'), 2, /negative/);
  });
  test('text given without a file name is named <repo text>', () => {
    assert.throws(() => parseRepoFile('baseurl=x\n'), (e: unknown) => e instanceof RepoFileError && e.message.startsWith('<repo text>:1: '));
  });
});

describe('properties', () => {
  const key = fc.stringMatching(/^x_[a-z0-9_]{1,12}$/);
  // A value as a file holds it on one line: no line end, no blanks at its ends, not wrapped in quotes.
  const value = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/).filter((v) => !(v.length > 1 && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")));

  test('any key=value written in any spacing reads back as written (unknown keys, into extra)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value, fc.constantFrom('=', ' = ', '\t=  ', '= ')), { selector: ([k]) => k, maxLength: 8 }), (pairs) => {
        const text = `[r]\n${pairs.map(([k, v, eq]) => `${k}${eq}${v}`).join('\n')}\n`;
        const [repo] = parseRepoFile(text);
        assert.deepEqual({ ...repo?.extra }, Object.fromEntries(pairs.map(([k, v]) => [k, v])));
      }),
    );
  });

  test('list items joined by any of dnf’s separators (and continuation lines) read back as the items', () => {
    const item = fc.stringMatching(/^[A-Za-z0-9:/._*?=&%+~-]{1,20}$/);
    const sep = fc.constantFrom(',', ' ', ', ', ' ,', ',,', '\n  ', ',\n\t', '  ');
    fc.assert(
      fc.property(fc.array(fc.tuple(item, sep), { minLength: 1, maxLength: 8 }), (parts) => {
        const joined = parts.map(([it, s], i) => (i < parts.length - 1 ? it + s : it)).join('');
        const [repo] = parseRepoFile(`[r]\nbaseurl=${joined}\n`);
        assert.deepEqual(repo?.baseurl, parts.map(([it]) => it));
      }),
    );
  });
});
