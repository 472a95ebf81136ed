/**
 * A real nginx, started by the test on loopback, serving a directory: the healthy mirror of the
 * integration tests and the download benchmark. Skips (with the reason) where nginx is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refusedUrl } from './fault-mirror.js';
import { firstExisting, missing } from './system-tools.js';

const NGINX = firstExisting(['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']);

/** Why nginx tests cannot run here (they must in CI), or undefined. */
export function nginxMissing(): string | undefined {
  return missing(NGINX !== undefined, 'nginx', 'package nginx-light');
}

export interface Nginx {
  url: string;
  port: number;
  stop(): Promise<void>;
  process: ChildProcess;
}

function tlsConfig(tls: NginxTls | undefined): string {
  if (!tls) return '';
  const client = tls.clientCa ? ` ssl_client_certificate ${tls.clientCa}; ssl_verify_client on;` : '';
  return `ssl_certificate ${tls.cert}; ssl_certificate_key ${tls.key};${client}`;
}

/** Waits until something accepts connections on the loopback port. */
export async function waitForPort(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

/** TLS for the test server: its certificate and key, and the CA client certificates must chain to. */
export interface NginxTls {
  cert: string;
  key: string;
  clientCa?: string;
}

/**
 * Starts nginx serving `root` on a free loopback port (or `port`); `extra` goes into the server block;
 * with `tls`, it speaks https (and requires a client certificate when `tls.clientCa` is given).
 */
export async function startNginx(root: string, port?: number, extra = '', tls?: NginxTls): Promise<Nginx> {
  if (!NGINX) throw new Error('nginx is not installed');
  const prefix = await mkdtemp(join(tmpdir(), 'rpmfetch-nginx-'));
  await mkdir(join(prefix, 'logs'), { recursive: true });
  const listen = port ?? Number(new URL(await refusedUrl()).port);
  const conf = join(prefix, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  types { application/x-rpm rpm; }
  server { listen 127.0.0.1:${listen}${tls ? ' ssl' : ''}; root ${root}; ${tlsConfig(tls)} ${extra} }
}
`,
  );
  const child = spawn(NGINX, ['-p', prefix, '-c', conf, '-g', 'daemon off; master_process off;'], { stdio: 'ignore' });
  await waitForPort(listen, Date.now() + 10_000);
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${listen}/`,
    port: listen,
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
