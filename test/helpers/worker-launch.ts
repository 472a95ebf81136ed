/**
 * Starts a TypeScript module as a worker thread: the worker registers tsx's loader itself (Node 20
 * does not hand the main thread's --import hooks to workers), then imports the module.
 */
import { Worker } from 'node:worker_threads';

export function tsWorker(module: URL, workerData: unknown): Worker {
  const source = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(source, { eval: true, workerData });
}
