/**
 * One hash worker thread and the sessions it runs. It keeps the process alive only while a session
 * waits on it, and when it dies (or is terminated) every session in it fails instead of waiting forever.
 */
import { Worker } from 'node:worker_threads';
import createDebug from 'debug';
import { RpmfetchError } from '../errors.js';
import type { HashJob } from './hash-job.js';
import type { HashReply, HashRequest } from './hash-protocol.js';
import type { WorkerEntry } from './worker-entry.js';

const debug = createDebug('rpmfetch:verify');

/** What a session hears from its worker. */
export interface SessionHandlers {
  /** A batch was hashed; its buffer is handed back. */
  ack(buf: ArrayBuffer): void;
  /** The digests, once the session has ended. */
  digests(entries: ReadonlyArray<readonly [string, string]>): void;
  /** The session will never finish. */
  fail(err: RpmfetchError): void;
}

/** A worker thread running hash sessions. */
export class HashThread {
  private readonly worker: Worker;
  private readonly sessions = new Map<number, SessionHandlers>();
  private ending: string | undefined;
  /** True once the thread has exited, or failed to start. */
  dead = false;

  /** Starts the thread; it keeps the process alive only while a session is open. */
  constructor(private readonly entry: WorkerEntry) {
    this.worker = new Worker(entry.url, { name: 'rpmfetch-hash', execArgv: [...entry.execArgv] });
    this.worker.on('message', (m: HashReply) => this.receive(m));
    this.worker.on('error', (err) => this.die(err.message, err));
    this.worker.on('exit', (code) => this.die(this.ending ?? `exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.worker.unref();
  }

  /** Sessions open on this thread. */
  get load(): number {
    return this.sessions.size;
  }

  /** Starts a session; the thread holds the process open until every session has ended. */
  open(sid: number, jobs: readonly HashJob[], handlers: SessionHandlers): void {
    if (this.sessions.size === 0) this.worker.ref();
    this.sessions.set(sid, handlers);
    this.post({ op: 'open', sid, jobs });
  }

  /** Sends `len` bytes of `buf` (transferred) that start at stream offset `offset`. */
  send(sid: number, buf: ArrayBuffer, len: number, offset: number): void {
    this.post({ op: 'data', sid, buf, len, offset }, [buf]);
  }

  /** Asks for the session's digests. */
  end(sid: number): void {
    this.post({ op: 'end', sid });
  }

  /** Drops a session whose digests will never be asked for. */
  close(sid: number): void {
    if (!this.sessions.has(sid)) return;
    this.release(sid);
    this.post({ op: 'close', sid });
  }

  /** Ends the thread; sessions still open fail with `reason`. */
  async terminate(reason: string): Promise<void> {
    this.ending ??= reason;
    await this.worker.terminate();
  }

  private post(message: HashRequest, transfer: ArrayBuffer[] = []): void {
    if (!this.dead) this.worker.postMessage(message, transfer);
  }

  private receive(m: HashReply): void {
    const session = this.sessions.get(m.sid);
    if (!session) return;
    if (m.op === 'ack') {
      session.ack(m.buf);
      return;
    }
    this.release(m.sid);
    if (m.op === 'failed') {
      session.fail(new RpmfetchError('ERR_INTERNAL', `hash worker failed: ${m.message}`));
    } else {
      debug('hash worker thread %d (%s) computed %s', m.threadId, this.entry.url.href, m.digests.map(([key]) => key).join(', '));
      session.digests(m.digests);
    }
  }

  private die(why: string, cause?: Error): void {
    if (this.dead) return;
    this.dead = true;
    if (this.sessions.size > 0) debug('hash worker died with %d sessions open: %s', this.sessions.size, why);
    const failure = new RpmfetchError('ERR_INTERNAL', `hash worker failed: ${why}`, cause ? { cause } : {});
    const open = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of open) s.fail(failure);
  }

  private release(sid: number): void {
    this.sessions.delete(sid);
    if (this.sessions.size === 0) this.worker.unref();
  }
}
