/**
 * The hash worker's entry module: runs on its own thread, one {@link HashJobRunner} per session, and
 * hands every batch buffer back for reuse. Located by worker-entry.ts.
 */
import { parentPort, threadId } from 'node:worker_threads';
import { HashJobRunner } from './hash-job.js';
import type { HashReply, HashRequest } from './hash-protocol.js';

const port = parentPort;
if (!port) throw new Error('hash-worker.js is a worker thread entry, not a module to import');

const sessions = new Map<number, HashJobRunner>();
const reply = (message: HashReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

port.on('message', (m: HashRequest) => {
  switch (m.op) {
    case 'open':
      try {
        sessions.set(m.sid, new HashJobRunner(m.jobs));
      } catch (err) {
        reply({ op: 'failed', sid: m.sid, message: (err as Error).message });
      }
      return;
    case 'data':
      sessions.get(m.sid)?.update(new Uint8Array(m.buf, 0, m.len), m.offset);
      reply({ op: 'ack', sid: m.sid, buf: m.buf }, [m.buf]);
      return;
    case 'end': {
      const runner = sessions.get(m.sid);
      sessions.delete(m.sid);
      if (runner) reply({ op: 'digests', sid: m.sid, digests: runner.digests(), threadId });
      return;
    }
    case 'close':
      sessions.delete(m.sid);
      return;
  }
});
