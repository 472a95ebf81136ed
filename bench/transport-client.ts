/**
 * One Node HTTP client of bench/transport, in its own process: fetches every URL of a list, N at a
 * time over keep-alive connections, discarding the bodies, and prints what that cost as JSON (wall
 * time, CPU, minor page faults, peak RSS), measured around the transfers only.
 *
 *   node --import tsx bench/transport-client.ts got|node:http|HttpClient BUFFER_KIB URLS.json PARALLEL
 */
import { readFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';

type Fetcher = (url: string) => Promise<number>;

async function fetcher(tool: string, bufferKiB: number): Promise<Fetcher> {
  if (tool === 'got') {
    const { default: got } = await import('got');
    const agent = new Agent({ keepAlive: true });
    return async (url) => {
      let n = 0;
      for await (const chunk of got.stream(url, { decompress: false, http2: false, retry: { limit: 0 }, agent: { http: agent } })) n += (chunk as Buffer).length;
      return n;
    };
  }
  if (tool === 'node:http') {
    const agent = new Agent({ keepAlive: true });
    return (url) =>
      new Promise((resolve, reject) => {
        httpGet(url, { agent }, (res) => {
          let n = 0;
          res.on('data', (chunk: Buffer) => (n += chunk.length));
          res.on('end', () => resolve(n));
          res.on('error', reject);
        }).on('error', reject);
      });
  }
  const { HttpClient } = await import('../src/transport/index.js');
  const client = new HttpClient({ userAgent: 'bench', readBufferSize: bufferKiB * 1024 });
  const timeouts = { connect: 10_000, response: 30_000, idle: 30_000 };
  return async (url) => {
    const res = await client.request({ url: new URL(url), timeouts, maxRedirects: 0, allowInsecureRedirects: false });
    let n = 0;
    await res.read((chunk) => {
      n += chunk.length;
    });
    return n;
  };
}

const [tool = '', bufferKiB = '256', urlsFile = '', parallel = '3'] = process.argv.slice(2);
const urls = JSON.parse(readFileSync(urlsFile, 'utf8')) as string[];
const fetch = await fetcher(tool, Number(bufferKiB));
const before = process.resourceUsage();
const cpu = process.cpuUsage();
const start = performance.now();
let next = 0;
let bytes = 0;
await Promise.all(
  Array.from({ length: Math.min(Number(parallel), urls.length) }, async () => {
    while (next < urls.length) {
      const n = await fetch(urls[next++] as string);
      bytes += n;
    }
  }),
);
const ms = performance.now() - start;
const used = process.cpuUsage(cpu);
const after = process.resourceUsage();
process.stdout.write(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, minorFaults: after.minorPageFault - before.minorPageFault, maxRssMiB: after.maxRSS / 1024, bytes }));
process.exit(0);
