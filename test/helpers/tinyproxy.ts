/**
 * A real forward proxy for tests: Debian's tinyproxy, started on a free loopback port with its own
 * config, in the foreground. Its log says which requests went through it. Skips (with the reason)
 * where tinyproxy is not installed; CI installs it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refusedUrl } from './fault-mirror.js';
import { waitForPort } from './nginx.js';
import { firstExisting, missing } from './system-tools.js';

const TINYPROXY = firstExisting(['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy', '/usr/local/bin/tinyproxy']);

/** Why proxy tests cannot run here (they must in CI), or undefined. */
export function tinyproxyMissing(): string | undefined {
  return missing(TINYPROXY !== undefined, 'tinyproxy', 'package tinyproxy-bin');
}

export interface Proxy {
  url: string;
  /** The log so far: one line per request (tinyproxy logs the request line at Info). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts tinyproxy; `extra` lines go into its config (e.g. `ConnectPort 443` to refuse other tunnels). */
export async function startTinyproxy(extra = ''): Promise<Proxy> {
  if (!TINYPROXY) throw new Error('tinyproxy is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-tinyproxy-'));
  const port = Number(new URL(await refusedUrl()).port);
  const logFile = join(dir, 'tinyproxy.log');
  const conf = join(dir, 'tinyproxy.conf');
  // No ConnectPort lines: CONNECT to any port (the test's TLS mirror is not on 443).
  await writeFile(conf, `Port ${port}\nListen 127.0.0.1\nTimeout 30\nLogFile "${logFile}"\nLogLevel Info\nMaxClients 50\nAllow 127.0.0.1\nDisableViaHeader Yes\n${extra}\n`);
  await writeFile(logFile, '');
  const child = spawn(TINYPROXY, ['-d', '-c', conf], { stdio: 'ignore' });
  await waitForPort(port, Date.now() + 10_000);
  return {
    url: `http://127.0.0.1:${port}/`,
    log: () => readFile(logFile, 'utf8'),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
