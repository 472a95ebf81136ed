/**
 * `rpmfetch verify [--json] FILE...`: verifies local packages. Exit status 0 only when every file passes.
 * Stopped through `signal`, it finishes the file in hand and reports the rest as not checked.
 */
import { Command } from 'commander';
import { RpmfetchError } from '../errors.js';
import { Keyring } from '../rpm/keyring.js';
import { verifyFile } from '../rpm/verify-file.js';
import { unreadableJson, verdictJson, verdictText } from './format-verdict.js';
import { announceStop, type CliIo } from './io.js';

interface VerifyFlags {
  json?: boolean;
  nameCheck: boolean;
  key: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Verifies each file in turn; one unreadable or bad file does not stop the others. */
export async function runVerify(files: string[], flags: VerifyFlags, io: CliIo, signal?: AbortSignal): Promise<number> {
  const keys = flags.key.length > 0 ? await Keyring.load(flags.key) : undefined;
  const stopListening = signal ? announceStop(signal, (line) => io.err(line)) : () => {};
  let failed = 0;
  for (const file of files) {
    if (signal?.aborted) {
      // Every file named gets its line, so that a reader can tell "not checked" from "forgotten".
      failed++;
      const message = 'not checked: stopped before this file';
      if (flags.json) io.out(JSON.stringify(unreadableJson(file, 'ERR_ABORTED', message)));
      else io.err(`${file}: NOT OK ERR_ABORTED ${message}`);
      continue;
    }
    try {
      const verdict = await verifyFile(file, { ...(flags.nameCheck ? {} : { fileName: false }), ...(keys && { keys }) });
      if (!verdict.ok) failed++;
      if (flags.json) io.out(JSON.stringify(verdictJson(file, verdict)));
      else io.err(verdictText(file, verdict));
    } catch (err) {
      failed++;
      const code = err instanceof RpmfetchError ? err.code : 'ERR_FILE_UNREADABLE';
      const message = err instanceof Error ? err.message : String(err);
      if (flags.json) io.out(JSON.stringify(unreadableJson(file, code, message)));
      else io.err(`${file}: NOT OK ${code} ${message}`);
    }
  }
  stopListening();
  if (!flags.json && files.length > 1) {
    io.err(`${files.length - failed} of ${files.length} packages verified${failed ? `, ${failed} failed` : ''}`);
  }
  return failed === 0 ? 0 : 1;
}

/** Registers the `verify` command on the program. */
export function verifyCommand(io: CliIo, done: (code: number) => void, signal?: AbortSignal): Command {
  return new Command('verify')
    .description('verify local .rpm/.src.rpm files: structure, every digest, size, and file name against the header')
    .argument('<file...>', 'package files to verify')
    .option('--key <file.asc>', 'trusted public key file (armored or binary); repeat for several. With keys, every package must carry a valid signature by one of them', collect, [])
    .option('--json', 'print one JSON object per file on stdout')
    .option('--no-name-check', "do not require the file name to be the package's N-V-R.A.rpm (or N-V-R.src.rpm)")
    .action(async (files: string[], flags: VerifyFlags) => {
      done(await runVerify(files, flags, io, signal));
    });
}
