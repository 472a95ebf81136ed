/**
 * FaultMirrors a test file starts as it goes, each serving the same files, all closed when the file's
 * tests are done.
 */
import { after } from 'node:test';
import { FaultMirror } from './fault-mirror.js';

/** A function starting another mirror with `files` (path → bytes); the mirrors close after the file's tests. */
export function mirrorPool(files: ReadonlyMap<string, Buffer> | Iterable<readonly [string, Buffer]>): () => Promise<FaultMirror> {
  const started: FaultMirror[] = [];
  const entries = [...files];
  after(async () => {
    await Promise.all(started.map((m) => m.close()));
  });
  return async () => {
    const m = await new FaultMirror().start();
    for (const [path, bytes] of entries) m.files.set(path, bytes);
    started.push(m);
    return m;
  };
}
