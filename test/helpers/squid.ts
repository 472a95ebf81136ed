/**
 * A real caching forward proxy for tests: Debian's squid, started in the foreground on a free loopback
 * port with a memory-only cache and a refresh_pattern that keeps .rpm files fresh for a day, as a
 * build farm would run it. Its access log says HIT or MISS per request. Skips (with the reason) where
 * squid is not installed; CI installs it.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refusedUrl } from './fault-mirror.js';
import { waitForPort } from './nginx.js';
import { firstExisting, missing } from './system-tools.js';

const SQUID = firstExisting(['/usr/sbin/squid', '/usr/bin/squid', '/usr/local/sbin/squid']);

/** Why squid tests cannot run here (they must in CI), or undefined. */
export function squidMissing(): string | undefined {
  return missing(SQUID !== undefined, 'squid', 'package squid');
}

export interface Squid {
  url: string;
  /** The access log so far: one line per request, with TCP_MISS, TCP_HIT, TCP_MEM_HIT, TCP_REFRESH_… */
  log(): Promise<string>;
  /** A plain GET of `url` through the proxy (to put an object in its cache); the body received. */
  get(url: string): Promise<Buffer>;
  stop(): Promise<void>;
}

export async function startSquid(): Promise<Squid> {
  if (!SQUID) throw new Error('squid is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-squid-'));
  // Started as root, squid works as its own user: it must be able to write its logs here.
  await chmod(dir, 0o777);
  const port = Number(new URL(await refusedUrl()).port);
  const accessLog = join(dir, 'access.log');
  const conf = join(dir, 'squid.conf');
  await writeFile(
    conf,
    [
      `http_port 127.0.0.1:${port}`,
      `pid_filename ${join(dir, 'squid.pid')}`,
      `access_log stdio:${accessLog}`,
      `cache_log ${join(dir, 'cache.log')}`,
      'cache_store_log none',
      `coredump_dir ${dir}`,
      'visible_hostname rpmfetch-test',
      'pinger_enable off',
      'shutdown_lifetime 0 seconds',
      // Memory only: no cache_dir to create, nothing left behind.
      'cache_mem 64 MB',
      'maximum_object_size_in_memory 16 MB',
      'acl local src 127.0.0.1/32',
      'http_access allow local',
      'http_access deny all',
      // Packages never change under a name: a day fresh without asking the origin.
      'refresh_pattern -i \\.rpm$ 1440 100% 10080',
      'refresh_pattern . 0 20% 4320',
    ].join('\n') + '\n',
  );
  await writeFile(accessLog, '');
  await chmod(accessLog, 0o666);
  const child = spawn(SQUID, ['-N', '-f', conf], { stdio: 'ignore' });
  await waitForPort(port, Date.now() + 20_000);
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    log: () => readFile(accessLog, 'utf8'),
    get: (target) =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: target, headers: { host: new URL(target).host } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      }),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
