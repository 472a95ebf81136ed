#!/usr/bin/env node
import { main } from './main.js';

const controller = new AbortController();
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.on(name, () => {
    // First signal: stop downloads cleanly (temporary files are removed). Second: leave at once.
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`rpmfetch: ${name}, stopping\n`);
    controller.abort(new Error(`interrupted by ${name}`));
  });
}

main(process.argv.slice(2), undefined, controller.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`rpmfetch: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
