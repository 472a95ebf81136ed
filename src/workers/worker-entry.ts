/**
 * Where a worker module (hash worker, decode worker, download lane) is and how to start it.
 *
 * Compiled (dist/, an installed package, a bundle that follows `new URL(…, import.meta.url)`), it is
 * the .js next to its host module and needs nothing else. Run from the TypeScript sources (the
 * tests, under tsx), it is the .ts, and the worker must load TypeScript itself: hooks registered
 * on the main thread do not reach it, and on Node 20 tsx 4 registers its hooks only when it runs on the
 * main thread (it does in workers from Node 22.22.3 / 24.11.1), so `--import tsx` in the worker's
 * execArgv is silently a no-op there. The worker therefore starts with an `--import` of a one-line
 * module that calls tsx's own `register()`, resolved from here.
 */

/** A worker module and the execArgv it needs. */
export interface WorkerEntry {
  /** The module the worker runs. */
  readonly url: URL;
  /** Node options for the worker (none for compiled JavaScript: it must not inherit a loader or `--input-type`). */
  readonly execArgv: readonly string[];
}

/**
 * The worker module `compiled` (written by its host as the literal `new URL('./x.js', import.meta.url)`,
 * which bundlers look for), or its .ts beside it when the host itself runs from the sources.
 */
export function workerModule(compiled: URL, hostUrl: string): WorkerEntry {
  return entryFor(hostUrl.endsWith('.ts') ? new URL(compiled.href.replace(/\.js$/, '.ts')) : compiled);
}

/** The hash worker module next to this one, compiled or not. */
export function hashWorkerEntry(): WorkerEntry {
  return workerModule(new URL('./hash-worker.js', import.meta.url), import.meta.url);
}

/** How to start the worker module at `url`: TypeScript gets tsx registered in the worker first. */
export function entryFor(url: URL): WorkerEntry {
  return { url, execArgv: url.pathname.endsWith('.ts') ? typeScriptExecArgv() : [] };
}

function typeScriptExecArgv(): string[] {
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    // Node 20.5 has no import.meta.resolve and tsx runs as a --loader there, which workers inherit.
    return [...process.execArgv];
  }
  return ['--import', `data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(api)}; register();`)}`];
}
