/**
 * bench/transport: the HTTP layer alone, against curl, from a loopback nginx:
 *   - one big file (1 GiB by default), discarded;
 *   - a batch of small files (400 × ~1.2 MB), keep-alive, 3 in parallel, discarded.
 * Clients: curl (-o /dev/null; -Z --parallel-max for the batch), got streams (decompress off),
 * node:http with a keep-alive agent, and src/transport's HttpClient (with each read buffer size asked
 * for). Node clients run in a child process each (bench/transport-client.ts) and measure themselves
 * around the transfers (the loader's startup is not counted); curl is measured by /usr/bin/time. Runs
 * alternate; medians.
 *
 *   node --import tsx bench/transport.ts [--size-mib 1024] [--files 400] [--file-kib 1200] [--runs 5]
 *     [--buffers 64,256,1024] [--only big|batch] [--clients curl,got,node:http]
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from '../test/helpers/nginx.js';
import { have, median, options, table } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PARALLEL = 3;

/** What one run of one client cost (what bench/transport-client.ts prints). */
interface Cost {
  ms: number;
  cpuMs: number;
  minorFaults: number;
  maxRssMiB: number;
  bytes: number;
}

function runNode(tool: string, bufferKiB: number, urlsFile: string): Promise<Cost> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'transport-client.ts'), tool, String(bufferKiB), urlsFile, String(PARALLEL)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Cost) : reject(new Error(`${tool} exited ${code}`))));
  });
}

/** curl under /usr/bin/time: whole-process wall, CPU, minor faults and peak RSS. */
function runCurl(urls: string[], work: string, bytes: number): Cost {
  const config = join(work, 'curl.conf');
  writeFileSync(config, urls.map((u) => `url = "${u}"\noutput = "/dev/null"\n`).join(''));
  const parallel = urls.length > 1 ? ['-Z', '--parallel-max', String(PARALLEL)] : [];
  const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S %R %M', 'curl', '-sS', '--fail', ...parallel, '-K', config], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) throw new Error(`curl failed: ${run.stderr}`);
  const [e, u, s, r, m] = run.stderr.trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  return { ms: (e ?? 0) * 1000, cpuMs: ((u ?? 0) + (s ?? 0)) * 1000, minorFaults: r ?? 0, maxRssMiB: (m ?? 0) / 1024, bytes };
}

function fillFile(path: string, size: number): void {
  if (existsSync(path) && statSync(path).size === size) return;
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(Math.min(size, 16 * 1024 * 1024));
  for (let left = size; left > 0; left -= block.length) writeSync(fd, randomFillSync(block), 0, Math.min(left, block.length));
  closeSync(fd);
}

async function parent(): Promise<void> {
  const opts = options({ 'size-mib': '1024', files: '400', 'file-kib': '1200', runs: '5', buffers: '64,256,1024', only: '', clients: 'curl,got,node:http' });
  if (!have('curl') || !existsSync('/usr/bin/time')) {
    console.error('bench/transport needs curl, /usr/bin/time and nginx (apt-get install curl time nginx-light)');
    process.exit(2);
  }
  const dir = join(ROOT, '.bench', 'transport');
  mkdirSync(join(dir, 'small'), { recursive: true });
  const bigSize = Number(opts['size-mib']) * 1024 * 1024;
  fillFile(join(dir, 'big.bin'), bigSize);
  const files = Number(opts.files);
  // Sizes spread ±50% around the mean, as packages are.
  const sizes = Array.from({ length: files }, (_, i) => Math.round(Number(opts['file-kib']) * 1024 * (0.5 + ((i * 7919) % files) / files)));
  sizes.forEach((size, i) => fillFile(join(dir, 'small', `p${i}.bin`), size));
  const nginx = await startNginx(dir);
  const work = join(dir, 'run');
  mkdirSync(work, { recursive: true });
  const buffers = opts.buffers.split(',').map(Number);
  const scenarios = [
    { name: `1 file, ${opts['size-mib']} MiB`, key: 'big', urls: [`${nginx.url}big.bin`], bytes: bigSize },
    { name: `${files} files, ${(sizes.reduce((a, b) => a + b, 0) / 1e6).toFixed(0)} MB, ${PARALLEL} in parallel`, key: 'batch', urls: sizes.map((_, i) => `${nginx.url}small/p${i}.bin`), bytes: sizes.reduce((a, b) => a + b, 0) },
  ];
  // curl stays in: it is the baseline of every ratio.
  const tools = [...new Set(['curl', ...opts.clients.split(',').filter(Boolean)]), ...buffers.map((b) => `HttpClient ${b} KiB`)];
  try {
    for (const scenario of scenarios.filter((sc) => !opts.only || sc.key === opts.only)) {
      const urlsFile = join(work, 'urls.json');
      writeFileSync(urlsFile, JSON.stringify(scenario.urls));
      const costs = new Map<string, Cost[]>(tools.map((t) => [t, []]));
      for (let run = 0; run < Number(opts.runs); run++) {
        for (const tool of run % 2 ? [...tools].reverse() : tools) {
          const cost = tool === 'curl' ? runCurl(scenario.urls, work, scenario.bytes) : await runNode(tool.startsWith('HttpClient') ? 'HttpClient' : tool, tool.startsWith('HttpClient') ? Number(/\d+/.exec(tool)?.[0]) : 0, urlsFile);
          if (cost.bytes !== scenario.bytes) throw new Error(`${tool} read ${cost.bytes} bytes of ${scenario.bytes}`);
          costs.get(tool)?.push(cost);
        }
      }
      const med = (tool: string, key: keyof Cost) => median((costs.get(tool) ?? []).map((c) => c[key]));
      const curl = { ms: med('curl', 'ms'), cpu: med('curl', 'cpuMs') };
      console.log(`\n${scenario.name}, medians of ${opts.runs} alternating runs:\n`);
      console.log(
        table([
          ['client', 'wall', 'CPU (user+sys)', 'minor faults', 'peak RSS', 'wall / curl', 'CPU / curl'],
          ...tools.map((t) => [t, `${(med(t, 'ms') / 1000).toFixed(3)} s`, `${(med(t, 'cpuMs') / 1000).toFixed(3)} s`, String(Math.round(med(t, 'minorFaults'))), `${med(t, 'maxRssMiB').toFixed(0)} MiB`, (med(t, 'ms') / curl.ms).toFixed(2), (med(t, 'cpuMs') / curl.cpu).toFixed(2)]),
        ]),
      );
    }
  } finally {
    await nginx.stop();
  }
}

await parent();
