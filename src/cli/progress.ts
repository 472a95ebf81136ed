/**
 * What `rpmfetch get` shows while it works. On a terminal: finished files scroll above a live block
 * (one line per file in flight, then totals with rate and ETA), redrawn ten times a second. Elsewhere:
 * one line per finished file. `--quiet`: failures only.
 */
import type { DownloadEvent, MetadataEvent, MirrorDroppedEvent } from '../client/events.js';
import type { DownloadResult } from '../client/result.js';
import type { DownloadError } from '../errors.js';
import { displayName } from '../rpm/nevra.js';

/** Human byte counts: 1.2 MB, 456 kB, 12 B. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** The line for a finished target. */
export function doneLine(result: DownloadResult): string {
  const retries = result.attempts.length > 1 ? `, ${result.attempts.length} attempts` : '';
  if (result.cached === 'store') return `store  ${result.file}  ${displayName(result.rpm)}  ${formatBytes(result.size)} by ${result.placement ?? 'copy'}`;
  return `${result.cached ? 'cached' : 'ok'}  ${result.file}  ${displayName(result.rpm)}  ${formatBytes(result.size)}${result.cached ? '' : ` from ${result.mirror}${retries}`}`;
}

/** The lines for a failed target: the error and every attempt. */
export function failedLines(target: string, error: DownloadError | Error): string[] {
  const code = (error as { code?: string }).code;
  return [`FAILED  ${target}: ${code ? `${code} ` : ''}${error.message}`];
}

/** The line for a repository metadata file that arrived. */
export function metadataLine(event: MetadataEvent): string {
  const packages = event.packages !== undefined ? `  ${event.packages} packages` : '';
  // createrepo_c prefixes metadata file names with their checksum; the rest says what the file is.
  const name = (event.target.split('/').pop() ?? event.target).replace(/^[0-9a-f]{32,}-/, '');
  const from = event.cached ? `kept from ${event.mirror}` : `from ${event.mirror}`;
  return `repodata  ${name}${packages}  ${formatBytes(event.size)} ${from} in ${(event.duration / 1000).toFixed(1)} s`;
}

/** The line for a mirror retired by `--max-mirror-failures` (shown even with --quiet: it changes the run). */
export function mirrorDroppedLine(event: MirrorDroppedEvent): string {
  return `mirror  ${event.mirror} ${event.reason}`;
}

/** Receives every event of a run and writes to stderr as the mode wants. */
export interface Reporter {
  onEvent(event: DownloadEvent): void;
  /** Lines about something that is not an event (a package name the repository does not have). */
  note(lines: readonly string[]): void;
  /** Runs `write`, which puts a line on the same terminal through another stream, out of the display's way. */
  interject(write: () => void): void;
  /** Stops redrawing; leaves the last totals on screen. */
  finish(): void;
}

/** Plain lines: one per finished target (failures only when quiet). */
export class LineReporter implements Reporter {
  constructor(
    private readonly write: (line: string) => void,
    private readonly quiet: boolean,
  ) {}

  onEvent(event: DownloadEvent): void {
    if (event.type === 'done' && !this.quiet) this.write(doneLine(event.result));
    else if (event.type === 'metadata' && !this.quiet) this.write(metadataLine(event));
    else if (event.type === 'failed') this.note(failedLines(event.target, event.error));
    else if (event.type === 'mirror-dropped') this.write(mirrorDroppedLine(event));
  }

  note(lines: readonly string[]): void {
    for (const line of lines) this.write(line);
  }

  interject(write: () => void): void {
    write();
  }

  finish(): void {}
}

interface Live {
  name: string;
  bytes: number;
  total?: number;
  rate: number;
  mirror: string;
  note?: string;
}

/** The terminal display. */
export class TtyProgress implements Reporter {
  private readonly live = new Map<string, Live>();
  private totals: Extract<DownloadEvent, { type: 'batch' }> | undefined;
  private drawnLines = 0;
  private readonly pending: string[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly count: number,
  ) {
    this.timer = setInterval(() => this.render(), 100);
    this.timer.unref();
  }

  onEvent(event: DownloadEvent): void {
    switch (event.type) {
      case 'started': {
        const entry = this.live.get(event.target);
        const name = event.target.split('/').pop() ?? event.target;
        this.live.set(event.target, { name, bytes: event.offset, rate: entry?.rate ?? 0, mirror: event.mirror, ...(entry?.total !== undefined && { total: entry.total }) });
        break;
      }
      case 'progress': {
        const entry = this.live.get(event.target);
        if (entry) {
          entry.bytes = event.bytes;
          entry.rate = event.rate;
          entry.mirror = event.mirror;
          delete entry.note;
          if (event.total !== undefined) entry.total = event.total;
        }
        break;
      }
      case 'retry':
      case 'failover': {
        const entry = this.live.get(event.target);
        if (entry) entry.note = `${event.failed.code}, ${event.type === 'failover' ? `to ${event.next}` : 'retrying'}${event.wait > 50 ? ` in ${(event.wait / 1000).toFixed(1)} s` : ''}`;
        break;
      }
      case 'done':
        this.live.delete(event.target);
        this.pending.push(doneLine(event.result));
        break;
      case 'failed':
        this.live.delete(event.target);
        this.pending.push(...failedLines(event.target, event.error));
        break;
      case 'metadata':
        this.live.delete(event.target);
        this.pending.push(metadataLine(event));
        break;
      case 'batch':
        this.totals = event;
        break;
      case 'mirror-dropped':
        this.pending.push(mirrorDroppedLine(event));
        break;
      default:
        break;
    }
  }

  note(lines: readonly string[]): void {
    this.pending.push(...lines);
  }

  interject(write: () => void): void {
    // The next redraw moves up over as many lines as it drew: a line written below the display in
    // between would be taken for part of it and erased. Clear the display first; it is drawn anew below.
    if (this.drawnLines > 0 && this.alive()) this.stream.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
    write();
  }

  /** A terminal that hung up (EIO) or a closed stderr: the io layer has heard the error; stop drawing. */
  private alive(): boolean {
    return !this.stream.destroyed && this.stream.writable;
  }

  private bar(fraction: number, width: number): string {
    const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
    return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  }

  private render(): void {
    if (!this.alive()) return;
    const width = Math.max(40, this.stream.columns || 80);
    const out: string[] = [];
    // Move to the top of the live block and clear it.
    if (this.drawnLines > 0) out.push(`\x1b[${this.drawnLines}A\x1b[0J`);
    for (const line of this.pending.splice(0)) out.push(`${line}\n`);
    const lines: string[] = [];
    for (const e of [...this.live.values()].slice(0, 8)) {
      const fraction = e.total ? e.bytes / e.total : 0;
      const size = e.total ? `${formatBytes(e.bytes)}/${formatBytes(e.total)}` : formatBytes(e.bytes);
      const detail = e.note ?? `${formatBytes(e.rate)}/s`;
      const head = e.name.length > 32 ? `…${e.name.slice(-31)}` : e.name;
      lines.push(`  ${head.padEnd(32)} ${this.bar(fraction, 12)} ${size.padStart(17)}  ${detail}`.slice(0, width - 1));
    }
    if (this.live.size > 8) lines.push(`  … and ${this.live.size - 8} more`);
    const t = this.totals;
    if (t) {
      const eta = t.rate > 0 && t.bytesKnown > t.bytes ? (t.bytesKnown - t.bytes) / t.rate : Number.NaN;
      lines.push(
        `${t.done + t.failed}/${t.total} files  ${formatBytes(t.bytes)}${t.bytesKnown > t.bytes ? `/${formatBytes(t.bytesKnown)}+` : ''}  ${formatBytes(t.rate)}/s  ETA ${formatDuration(eta)}  ${t.inFlight} in flight${t.failed ? `  ${t.failed} failed` : ''}`.slice(0, width - 1),
      );
    } else {
      lines.push(`0/${this.count} files`);
    }
    out.push(lines.map((l) => `${l}\n`).join(''));
    this.drawnLines = lines.length;
    this.stream.write(out.join(''));
  }

  finish(): void {
    clearInterval(this.timer);
    this.render();
  }
}
