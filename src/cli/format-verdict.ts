/**
 * Human and JSON renderings of verdicts for `rpmfetch verify`. Human output lists checks per file the
 * way `rpmkeys -Kv` lists digests and signatures, then a one-line summary per file.
 */
import type { ErrorCode } from '../errors.js';
import type { Check, Verdict } from '../rpm/verdict.js';

/** One line of `--json` output for a file. */
export interface VerifyJson {
  file: string;
  ok: boolean;
  nevra: string | null;
  checks: readonly Check[];
  error?: { code: ErrorCode; message: string; check?: string };
  rpm?: Verdict['rpm'];
  signatures?: Verdict['signatures'];
  size?: number;
  expectedSize?: number;
  digests?: Verdict['digests'];
}

/** The `--json` object for a verified file. */
export function verdictJson(file: string, v: Verdict): VerifyJson {
  return {
    file,
    ok: v.ok,
    nevra: v.rpm?.nevra ?? null,
    checks: v.checks,
    ...(v.error && { error: v.error }),
    ...(v.rpm && { rpm: v.rpm }),
    signatures: v.signatures,
    size: v.size,
    ...(v.expectedSize !== undefined && { expectedSize: v.expectedSize }),
    digests: v.digests,
  };
}

/** The `--json` object for a file that could not be read at all. */
export function unreadableJson(file: string, code: ErrorCode, message: string): VerifyJson {
  return { file, ok: false, nevra: null, checks: [], error: { code, message } };
}

function detail(c: Check): string {
  if (c.message) return ` (${c.message})`;
  if (c.id === 'size' && c.actual) return ` (${c.actual} bytes)`;
  return '';
}

/** rpmkeys -Kv style block for one file. */
export function verdictText(file: string, v: Verdict): string {
  const lines = [`${file}:`];
  for (const c of v.checks) {
    if (c.status === 'SKIPPED' && c.id === 'file-name') continue;
    lines.push(`    ${c.label}: ${c.status}${detail(c)}`);
  }
  for (const s of v.signatures) {
    if (s.status === 'SKIPPED') lines.push(`    ${s.label}: NOT JUDGED (${s.error ?? 'reported only; no keys given'})`);
    else lines.push(`    ${s.label}: ${s.status}${s.error ? ` (${s.error})` : s.verifiedBy ? ` (key ${s.verifiedBy})` : ''}`);
  }
  lines.push(summaryLine(file, v));
  return lines.join('\n');
}

/** `FILE: OK name-e:v-r.a` or `FILE: NOT OK CODE message`. */
export function summaryLine(file: string, v: Verdict): string {
  if (v.ok) return `${file}: OK ${v.rpm?.nevra ?? ''}`.trimEnd();
  return `${file}: NOT OK ${v.error?.code ?? ''} ${v.error?.message ?? ''}`.trimEnd();
}
