/**
 * On a terminal that shows both stdout and stderr, `rpmfetch get --json` result lines stay on screen:
 * the live display redraws itself by moving the cursor up over the lines it drew, and a result line
 * written below it in between must not be taken for one of them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TtyProgress } from '../src/cli/progress.js';
import type { DownloadResult } from '../src/client/result.js';

/** The few terminal controls the display uses: text, newline, cursor up (ESC[nA), clear below (ESC[0J). */
class Screen {
  rows: string[] = [''];
  private row = 0;

  write(data: string): void {
    for (const token of data.match(/\x1b\[\d*[A-Za-z]|\n|[^\x1b\n]+/g) ?? []) {
      const control = /^\x1b\[(\d*)([A-Za-z])$/.exec(token);
      if (control?.[2] === 'A') this.row = Math.max(0, this.row - Number(control[1] || 1));
      else if (control?.[2] === 'J') this.rows = [...this.rows.slice(0, this.row), ''];
      else if (token === '\n') {
        this.row++;
        if (this.rows.length <= this.row) this.rows.push('');
      } else this.rows[this.row] = (this.rows[this.row] ?? '') + token;
    }
  }

  /** The stderr stream the display draws on. */
  stream(): NodeJS.WriteStream {
    return { columns: 100, destroyed: false, writable: true, write: (s: string) => (this.write(s), true) } as unknown as NodeJS.WriteStream;
  }
}

const result = { file: '/d/a.rpm', cached: false, size: 10, mirror: 'http://m/', attempts: [{}], rpm: { name: 'a', version: '1', release: '1', arch: 'noarch', source: false, nevra: 'a-1-1.noarch' } } as unknown as DownloadResult;
const render = (p: TtyProgress) => (p as unknown as { render(): void }).render();

describe('the terminal display and result lines on the same terminal', () => {
  function run(writeResult: (p: TtyProgress, screen: Screen) => void): string[] {
    const screen = new Screen();
    const p = new TtyProgress(screen.stream(), 2);
    p.onEvent({ type: 'started', target: 'p/a.rpm', mirror: 'http://m/', url: 'http://m/p/a.rpm', attempt: 1, offset: 0 });
    p.onEvent({ type: 'started', target: 'p/b.rpm', mirror: 'http://m/', url: 'http://m/p/b.rpm', attempt: 1, offset: 0 });
    render(p);
    writeResult(p, screen);
    p.onEvent({ type: 'done', target: 'p/a.rpm', result });
    render(p);
    p.finish();
    return screen.rows;
  }

  test('a line written through interject() stays on screen, above the redrawn display', () => {
    const rows = run((p, screen) => p.interject(() => screen.write('{"file":"/d/a.rpm","ok":true}\n')));
    assert.ok(rows.includes('{"file":"/d/a.rpm","ok":true}'), rows.join('\n'));
    assert.ok(rows.some((r) => r.startsWith('ok  /d/a.rpm')), rows.join('\n'));
    assert.equal(rows.filter((r) => r.includes('p/a.rpm') || r.startsWith('  a.rpm')).length, 0, 'no stale display line');
  });

  test('(why: written straight to the terminal, the redraw erases it)', () => {
    const rows = run((_p, screen) => screen.write('{"file":"/d/a.rpm","ok":true}\n'));
    assert.ok(!rows.includes('{"file":"/d/a.rpm","ok":true}'));
  });
});
