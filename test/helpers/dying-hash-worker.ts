/**
 * A hash worker that dies mid-stream: the real worker module, whose thread exits once it has hashed
 * three batches, as a crash would.
 */
import { parentPort } from 'node:worker_threads';
import '../../src/workers/hash-worker.js';

let batches = 0;
parentPort?.on('message', (m: { op: string }) => {
  if (m.op === 'data' && ++batches === 3) process.exit(3);
});
