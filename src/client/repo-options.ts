/**
 * What a repository of a .repo file asks of the Downloader that serves it: its mirrors (or where they
 * come from), TLS, proxy, credentials, timeouts, parallel downloads and keys, with dnf's meanings
 * (README, "Using your .repo files"). Options the caller gave explicitly (flags on the command line)
 * win over the file's, except where the file is stricter.
 */
import { InvalidOptionError } from '../errors.js';
import type { RepoConfig } from '../repo/repo-file.js';
import { repoSource } from '../repo/repo-file.js';
import type { ResolveOptions } from '../repo/resolve.js';
import type { DownloaderOptions, TlsOptions } from './options.js';
import { readTlsFiles } from './tls-files.js';

/** Options every repository's Downloader starts from (`mirrors` come from each repository). */
export type RepoBaseOptions = Omit<DownloaderOptions, 'mirrors'>;

/** A repository's Downloader options, and what its resolves need. */
export interface RepoSettings {
  readonly options: DownloaderOptions;
  readonly resolve: ResolveOptions;
  /** Key URLs to read (with the Downloader itself) before packages or repomd.xml can be checked. */
  readonly gpgkey: readonly string[];
}

/** `FILE:LINE: [id] ` of the line a key is on, for messages. */
function at(config: RepoConfig, key: string): string {
  const line = config.lines[key];
  return `${config.file ?? '.repo'}${line !== undefined ? `:${line}` : ''}: [${config.id}] `;
}

function where(config: RepoConfig, key: string): string {
  return `${at(config, key)}${key}`;
}

async function tlsOf(config: RepoConfig, base: TlsOptions | undefined): Promise<TlsOptions | undefined> {
  if (!config.sslverify) {
    // dnf would accept any certificate; a downloader that promises genuine bytes does not.
    throw new InvalidOptionError(`${where(config, 'sslverify')}=0: rpmfetch does not turn TLS verification off; give the server's CA with sslcacert, or leave this repository out with --repoid`);
  }
  if (config.sslcacert === undefined && config.sslclientcert === undefined && config.sslclientkey === undefined) return base;
  const names = { ca: 'sslcacert', cert: 'sslclientcert', key: 'sslclientkey' } as const;
  const files = { ca: config.sslcacert, cert: config.sslclientcert, key: config.sslclientkey };
  return { ...base, ...(await readTlsFiles(files, names, (which) => at(config, names[which]))) };
}

function proxyOf(config: RepoConfig, base: RepoBaseOptions['proxy']): RepoBaseOptions['proxy'] {
  if (base !== undefined) return base;
  if (config.proxy === false) return false;
  if (config.proxy === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(config.proxy);
  } catch {
    throw new InvalidOptionError(`${where(config, 'proxy')}: not a URL`);
  }
  if (config.proxyUsername !== undefined) url.username = encodeURIComponent(config.proxyUsername);
  if (config.proxyPassword !== undefined) url.password = encodeURIComponent(config.proxyPassword);
  return url.href;
}

/** The settings of one repository; rejects with `InvalidOptionError` naming the file, line and key. */
export async function repoSettings(config: RepoConfig, base: RepoBaseOptions): Promise<RepoSettings> {
  const source = repoSource(config);
  const checks = config.gpgcheck || config.repoGpgcheck;
  if (checks && config.gpgkey.length === 0 && !base.keys) {
    throw new InvalidOptionError(`${where(config, config.gpgcheck ? 'gpgcheck' : 'repo_gpgcheck')}=1 but the repository has no gpgkey (rpmfetch does not read rpm's database of imported keys: add gpgkey, or give --key)`);
  }
  const tls = await tlsOf(config, base.tls);
  const proxy = proxyOf(config, base.proxy);
  const seconds = config.timeout * 1000;
  const options: DownloaderOptions = {
    ...base,
    mirrors: source.kind === 'baseurl' ? [...source.urls] : [],
    timeouts: { connect: seconds, stall: seconds, minRate: config.minrate, ...base.timeouts },
    concurrency: base.concurrency ?? config.maxParallelDownloads,
    // metadata_expire is seconds, -1 for never; a --metadata-expire given wins.
    metadataExpire: base.metadataExpire ?? (config.metadataExpire < 0 ? -1 : config.metadataExpire * 1000),
    ...(tls && { tls }),
    ...(proxy !== undefined && { proxy }),
    ...(base.username === undefined && config.username !== undefined && { username: config.username, ...(config.password !== undefined && { password: config.password }) }),
  };
  const resolve: ResolveOptions = {
    ...(source.kind === 'metalink' && { metalink: source.url }),
    ...(source.kind === 'mirrorlist' && { mirrorlist: source.url }),
    ...(config.repoGpgcheck && { repoGpgcheck: true }),
  };
  // Keys named by the caller win (and then every repository checks them); otherwise a repository
  // that checks nothing reads none (dnf's gpgcheck=0).
  const gpgkey = !base.keys && checks ? config.gpgkey : [];
  return { options, resolve, gpgkey };
}
