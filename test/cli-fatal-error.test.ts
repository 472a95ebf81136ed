/**
 * A bug that escapes everything (an uncaught exception, an unhandled rejection) still does not leave a
 * temporary file in a destination directory: the executable reports it and exits 1 once they are gone.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from './helpers/cli.js';
import { spawnCli, tempFilesIn } from './helpers/cli-process.js';

describe('a fatal error in the executable', () => {
  for (const how of ['throw', 'reject'] as const) {
    test(`${how === 'throw' ? 'an uncaught exception' : 'an unhandled rejection'}: reported, temporary files removed, exit 1`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-fatal-'));
      const run = spawnCli([dir, how], ['ignore', 'pipe', 'pipe'], join(ROOT, 'test/helpers/fatal-child.ts'));
      const { code } = await run.exited;
      assert.match(run.stdout(), /held-by-a-buggy-process\.rpm.*\.rpmfetch-part/, 'it did hold one');
      assert.equal(code, 1, run.stderr());
      assert.match(run.stderr(), /rpmfetch: internal error: Error: a bug/);
      assert.deepEqual(await tempFilesIn(dir), []);
    });
  }
});
