/**
 * Runs inside a worker thread: downloads `workerData.url` with its own HttpClient and posts what it
 * got. It does not close the client: the worker can only exit if idle kept-alive sockets do not hold
 * its event loop open.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { HttpClient } from '../../src/transport/index.js';

const { url } = workerData as { url: string };
const client = new HttpClient({ userAgent: 'rpmfetch-test-worker', keepAliveTimeout: 600_000 });
const hash = createHash('sha256');
const timeouts = { connect: 10_000, response: 10_000, idle: 10_000 };
const statuses: number[] = [];
let bytes = 0;
for (let i = 0; i < 2; i++) {
  const res = await client.request({ url: new URL(url), timeouts, maxRedirects: 0, allowInsecureRedirects: false });
  statuses.push(res.status);
  await res.read((chunk) => {
    if (i === 0) hash.update(chunk);
    bytes += chunk.length;
  });
}
parentPort?.postMessage({ statuses, bytes, sha256: hash.digest('hex'), stats: client.stats });
