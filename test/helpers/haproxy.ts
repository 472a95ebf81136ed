/**
 * HAProxy in front of backends, as kojipkgs runs it: round robin with health checks, started by the
 * test on loopback. Skips (with the reason) where haproxy is not installed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refusedUrl } from './fault-mirror.js';
import { firstExisting, missing } from './system-tools.js';

const HAPROXY = firstExisting(['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy']);

/** Why HAProxy tests cannot run here (they must in CI), or undefined. */
export function haproxyMissing(): string | undefined {
  return missing(HAPROXY !== undefined, 'haproxy', 'package haproxy');
}

/** Starts HAProxy balancing `backends` (ports on 127.0.0.1); resolves with its URL and a stop function. */
export async function startHaproxy(backends: number[]): Promise<{ url: string; stop: () => Promise<void> }> {
  if (!HAPROXY) throw new Error('haproxy is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-haproxy-'));
  const port = Number(new URL(await refusedUrl()).port);
  const conf = join(dir, 'haproxy.cfg');
  await writeFile(
    conf,
    `global
  maxconn 256
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  option redispatch
  retries 2
frontend kojipkgs
  bind 127.0.0.1:${port}
  default_backend packages
backend packages
  balance roundrobin
${backends.map((p, i) => `  server b${i} 127.0.0.1:${p} check inter 200 fall 2 rise 2`).join('\n')}
`,
  );
  const child = spawn(HAPROXY, ['-f', conf, '-db'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
