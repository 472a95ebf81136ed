/**
 * The real rpm tools as test parts: rpmbuild to make packages, gpg + rpmsign to sign them, rpmkeys as
 * the oracle. Tests that need them skip, with the reason, where they are not installed.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { have, missing } from './system-tools.js';

const run = promisify(execFile);

/** Why rpm-tool tests cannot run here, or undefined when they can. */
export function missingRpmTools(...tools: Array<'rpmbuild' | 'rpmkeys' | 'rpmsign' | 'gpg'>): string | undefined {
  const absent = tools.filter((t) => !have(t));
  return missing(absent.length === 0, absent.join(', '), 'packages rpm, gnupg');
}

/** Payload compressions rpmbuild can write: rpm's I/O name and the level distributions use. */
export const PAYLOADS = {
  gzip: { io: 'gzdio', level: 9 },
  xz: { io: 'xzdio', level: 6 },
  zstd: { io: 'zstdio', level: 19 },
  none: { io: 'ufdio', level: 0 },
} as const;
export type PayloadKind = keyof typeof PAYLOADS;

export interface BuildSpec {
  name: string;
  version?: string;
  release?: string;
  epoch?: number;
  payload: PayloadKind;
  /** Compression level instead of the distribution default (big benchmark packages want a fast one). */
  level?: number;
  /** Files installed by the package: path → content (string) or size of random bytes (number). */
  files: Record<string, string | number>;
  /** Make a BuildArch: noarch package (default) or one for the build machine's arch. */
  noarch?: boolean;
  /** Also build the source package (default true). */
  withSource?: boolean;
}

export interface Built {
  binary: string;
  /** Empty when `withSource` was false. */
  source: string;
}

/** Builds a binary and a source package with rpmbuild -ba into `dir`. */
export async function rpmbuild(dir: string, spec: BuildSpec): Promise<Built> {
  const top = await mkdtemp(join(tmpdir(), 'rpmfetch-rpmbuild-'));
  const src = join(top, 'SOURCES');
  await mkdir(src, { recursive: true });
  const installs: string[] = [];
  const fileList: string[] = [];
  let i = 0;
  for (const [path, content] of Object.entries(spec.files)) {
    const source = `file${i++}`;
    if (typeof content === 'number') {
      await run('sh', ['-c', `head -c ${content} /dev/urandom > '${join(src, source)}'`]);
    } else {
      await writeFile(join(src, source), content);
    }
    installs.push(`mkdir -p %{buildroot}$(dirname ${path}) && cp %{_sourcedir}/${source} %{buildroot}${path}`);
    fileList.push(path);
  }
  const specText = [
    `Name: ${spec.name}`,
    `Version: ${spec.version ?? '1.0'}`,
    `Release: ${spec.release ?? '1'}`,
    ...(spec.epoch !== undefined ? [`Epoch: ${spec.epoch}`] : []),
    'Summary: rpmfetch test package',
    'License: MIT',
    ...(spec.noarch === false ? [] : ['BuildArch: noarch']),
    ...Object.keys(spec.files).map((_, n) => `Source${n}: file${n}`),
    '%description',
    'A package built by rpmfetch tests.',
    '%install',
    ...installs,
    '%files',
    ...fileList,
    '',
  ].join('\n');
  const specFile = join(top, `${spec.name}.spec`);
  const payloadMacro = `w${spec.level ?? PAYLOADS[spec.payload].level}.${PAYLOADS[spec.payload].io}`;
  await writeFile(specFile, specText);
  await run(
    'rpmbuild',
    [
      '--define', `_topdir ${top}`,
      '--define', `_sourcedir ${src}`,
      '--define', `_rpmdir ${dir}`,
      '--define', `_srcrpmdir ${dir}`,
      '--define', '_build_id_links none',
      '--define', '_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
      '--define', `_binary_payload ${payloadMacro}`,
      '--define', `_source_payload ${payloadMacro}`,
      '--quiet',
      spec.withSource === false ? '-bb' : '-ba',
      specFile,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const names = await readdir(dir);
  const nvr = `${spec.name}-${spec.version ?? '1.0'}-${spec.release ?? '1'}`;
  const binary = names.find((n) => n.startsWith(`${nvr}.`) && n.endsWith('.rpm') && !n.endsWith('.src.rpm'));
  if (!binary) throw new Error(`rpmbuild wrote no binary package for ${nvr} in ${dir}`);
  return { binary: join(dir, binary), source: spec.withSource === false ? '' : join(dir, `${nvr}.src.rpm`) };
}

export interface SigningKey {
  home: string;
  uid: string;
  /** Armored public key file. */
  publicKey: string;
  fingerprint: string;
}

/** When and how a test key is made: gpg's clock at creation, when it expires, and what the primary key may do. */
export interface KeyOptions {
  /** gpg's clock when the key is made (default: now). */
  created?: Date;
  /** When the key expires (default: never). */
  expires?: Date;
  /** `sign` (default) or `cert`: a certify-only primary, whose subkeys sign. */
  usage?: 'sign' | 'cert';
  /** A word for the user ID, to tell keys apart (default: the algorithm). */
  name?: string;
}

/** gpg's flag for a faked clock, or none. */
export function fakedTime(at: Date | undefined): string[] {
  return at ? ['--faked-system-time', String(Math.floor(at.getTime() / 1000))] : [];
}

/** gpg's expiry argument for a key made (or changed) at `from` that expires at `expires`. */
export function expiryArg(from: Date | undefined, expires: Date | undefined): string {
  return expires ? `seconds=${Math.round((expires.getTime() - (from ?? new Date()).getTime()) / 1000)}` : 'never';
}

/** Writes the key's current public key (armored) to `key.publicKey`, after gpg changed it. */
export async function exportPublicKey(key: SigningKey): Promise<void> {
  const { stdout: armored } = await run('gpg', ['--batch', '--armor', '--export', key.fingerprint], { env: { ...process.env, GNUPGHOME: key.home } });
  await writeFile(key.publicKey, armored);
}

/** Creates a throw-away gpg home with one signing key: RSA 2048 or EdDSA (ed25519). */
export async function makeSigningKey(kind: 'rsa' | 'eddsa', options: KeyOptions = {}): Promise<SigningKey> {
  const home = await mkdtemp(join(tmpdir(), 'rpmfetch-gpg-'));
  const word = options.name ?? kind;
  const uid = `rpmfetch test ${word} <${word}@rpmfetch.invalid>`;
  const env = { ...process.env, GNUPGHOME: home };
  const algo = kind === 'rsa' ? 'rsa2048' : 'ed25519';
  await run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...fakedTime(options.created), '--quick-gen-key', uid, algo, options.usage ?? 'sign', expiryArg(options.created, options.expires)], { env });
  const { stdout } = await run('gpg', ['--batch', '--with-colons', '--fingerprint', uid], { env });
  const fingerprint = stdout.split('\n').find((l) => l.startsWith('fpr:'))?.split(':')[9] ?? '';
  const key = { home, uid, publicKey: join(home, 'public.asc'), fingerprint };
  await exportPublicKey(key);
  return key;
}

/** How rpmsign signs: which of the key's (sub)keys, with gpg's clock set to when, and extra gpg flags. */
export interface SignOptions {
  /** What gpg's `-u` gets (default the key's user ID); a subkey fingerprint with `!` forces that subkey. */
  signer?: string;
  /** gpg's clock while signing (`--faked-system-time`); the signature carries this creation time. */
  at?: Date;
  /** More gpg flags, e.g. `--ignore-time-conflict`. */
  gpgArgs?: string[];
}

/** gpg's flags for `SignOptions.at` and `gpgArgs`. */
export function gpgSignArgs(options: SignOptions): string[] {
  return [...fakedTime(options.at), ...(options.gpgArgs ?? [])];
}

/** Signs packages in place with rpmsign (header-only signature, as rpm 4.18 writes by default). */
export async function rpmsign(paths: string[], key: SigningKey, options: SignOptions = {}): Promise<void> {
  const extra = gpgSignArgs(options);
  await run(
    'rpmsign',
    [
      '--define', '__gpg /usr/bin/gpg',
      '--define', `_gpg_name ${options.signer ?? key.uid}`,
      '--define', `_gpg_path ${key.home}`,
      ...(extra.length > 0 ? ['--define', `_gpg_sign_cmd_extra_args ${extra.join(' ')}`] : []),
      '--addsign', ...paths,
    ],
    { env: { ...process.env, GNUPGHOME: key.home } },
  );
}

let emptyDb: Promise<string> | undefined;

/**
 * An rpm database holding these public keys (for `rpmkeys -K` with signatures). A key rpm refuses to
 * import fails the call, unless `refused` collects it (rpm 4.18 refuses some keys gpg writes, e.g. one
 * with a revoked subkey: its signatures are then NOKEY to rpm).
 */
export async function rpmdbWithKeys(publicKeys: string[], refused?: string[]): Promise<string> {
  const dbpath = await mkdtemp(join(tmpdir(), 'rpmfetch-rpmdb-keys-'));
  for (const key of publicKeys) {
    try {
      await run('rpmkeys', ['--dbpath', dbpath, '--import', key]);
    } catch (err) {
      if (!refused) throw err;
      refused.push(key);
    }
  }
  return dbpath;
}

/**
 * rpmkeys's verdict on a file: exit status 0 or not, and what it printed. By default digests only
 * (`--nosignature`, empty database); pass `args: []` and a `dbpath` with keys to check signatures too.
 */
export async function rpmkeysCheck(path: string, args: string[] = ['--nosignature'], dbpathWithKeys?: string): Promise<{ ok: boolean; output: string }> {
  emptyDb ??= mkdtemp(join(tmpdir(), 'rpmfetch-rpmdb-'));
  const dbpath = dbpathWithKeys ?? (await emptyDb);
  try {
    const { stdout, stderr } = await run('rpmkeys', ['--dbpath', dbpath, '-Kv', ...args, path]);
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    if (typeof e.code !== 'number') throw err;
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
