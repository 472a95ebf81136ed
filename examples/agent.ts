/**
 * Example: a long-running builder agent. One Downloader lives as long as the agent, so mirror health
 * (a mirror that keeps failing is rested) and kept-alive connections carry over from job to job. Each
 * job has its own deadline through an AbortSignal; SIGINT/SIGTERM abort everything in flight, and
 * nothing half-written is left behind. Progress events feed the agent's log.
 *
 *   node --import tsx examples/agent.ts --mirror URL [--mirror URL]... --dest DIR [--job-timeout S] < jobs.txt
 *
 * stdin: one job per line, the package paths of a build separated by spaces.
 * In your project, import from 'rpmfetch' instead of '../src/index.js'.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createDownloader, type DownloadEvent } from '../src/index.js';

const { values } = parseArgs({
  options: { mirror: { type: 'string', multiple: true, default: [] }, dest: { type: 'string', default: '.' }, 'job-timeout': { type: 'string', default: '600' } },
});
if (values.mirror.length === 0) {
  console.error('usage: agent.ts --mirror URL [--mirror URL]... [--dest DIR] [--job-timeout S] < jobs');
  process.exit(2);
}

const shutdown = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => shutdown.abort(new Error(`${signal}: shutting down`)));

function log(event: DownloadEvent): void {
  switch (event.type) {
    case 'retry':
    case 'failover':
      console.error(`[agent] ${event.target}: ${event.failed.mirror} ${event.failed.code}, next ${event.next} in ${Math.round(event.wait)} ms`);
      break;
    case 'done':
      console.error(`[agent] ${event.target}: verified (${event.result.size} bytes from ${event.result.mirror})`);
      break;
    case 'failed':
      console.error(`[agent] ${event.target}: ${event.error.code}`);
      break;
  }
}

const downloader = createDownloader({ mirrors: values.mirror, dest: values.dest, signal: shutdown.signal, onEvent: log });
let job = 0;
let failures = 0;
try {
  for await (const line of createInterface({ input: process.stdin })) {
    const paths = line.trim().split(/\s+/).filter(Boolean);
    if (paths.length === 0) continue;
    if (shutdown.signal.aborted) break;
    job++;
    const deadline = AbortSignal.timeout(Number(values['job-timeout']) * 1000);
    const batch = await downloader.downloadAll(paths, { signal: deadline });
    failures += batch.failed;
    console.log(JSON.stringify({ job, ok: batch.failed === 0, files: batch.items.map((i) => (i.ok ? i.result.file : { target: i.target, error: i.error.code })) }));
  }
} finally {
  // What the agent learnt about its mirrors, e.g. for a health endpoint.
  for (const m of downloader.mirrors()) {
    const resting = m.coolingUntil > Date.now() ? `, resting ${Math.round((m.coolingUntil - Date.now()) / 1000)} s` : '';
    console.error(`[agent] mirror ${m.label}: ${m.successes} ok, ${m.failures} failed${resting}`);
  }
  downloader.close();
}
process.exitCode = failures === 0 ? 0 : 1;
