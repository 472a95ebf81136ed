/**
 * A stand-in for the executable that hits a bug while it holds a temporary file: `DIR throw` throws
 * from a timer, `DIR reject` leaves a rejection unhandled. Prints the temporary file's path first.
 */
import { installShutdown } from '../../src/cli/shutdown.js';
import { TempFile } from '../../src/fetch/temp-file.js';

const [dir, how] = process.argv.slice(2) as [string, 'throw' | 'reject'];
installShutdown();
const temp = await TempFile.create(dir, 'held-by-a-buggy-process.rpm');
process.stdout.write(`${temp.path}\n`);
if (how === 'throw') {
  setTimeout(() => {
    throw new Error('a bug');
  }, 0);
} else {
  void Promise.reject(new Error('a bug'));
}
// Work that would go on if nothing stopped the process.
setInterval(() => {}, 1000);
