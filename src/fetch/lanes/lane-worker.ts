/**
 * A download lane's entry module: runs on its own thread (see lanes.ts, which locates it) and hands
 * every message to a {@link LaneHost}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LaneHost } from './lane-host.js';
import type { LaneInit, LaneReply, LaneRequest } from './lane-protocol.js';

const port = parentPort;
if (!port) throw new Error('lane-worker.js is a worker thread entry, not a module to import');

const host = new LaneHost(workerData as LaneInit, (reply: LaneReply) => port.postMessage(reply));
port.on('message', (m: LaneRequest | { op: 'shutdown' }) => {
  if (m.op === 'shutdown') void host.shutdown().finally(() => port.close());
  else host.handle(m);
});
port.postMessage({ op: 'ready' } satisfies LaneReply);
