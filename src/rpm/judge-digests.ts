/**
 * The package's own digests against what was computed, decided as rpm decides them (see
 * digest-items.ts), and whether valid digests cover both the header and the payload.
 */
import { decideDigests, type DigestItem, type DigestStatus } from './digest-items.js';
import type { Judged } from './judged.js';
import { extend } from '../extend.js';

/**
 * One check per digest the package carries, then the coverage check. `computed` is keyed
 * `range:algorithm`; `skipped` are left unchecked by the digest level (see digest-level.ts).
 */
export function judgeDigests(items: readonly DigestItem[], computed: ReadonlyMap<string, string>, skipped: ReadonlySet<DigestItem> = new Set()): Judged[] {
  const out: Judged[] = [];
  const actualFor = (item: DigestItem): string | undefined => computed.get(`${item.range}:${item.algorithm}`);
  const checked = items.filter((item) => !skipped.has(item));
  const decision = decideDigests(checked, (item): DigestStatus => (item.invalid === undefined && item.expected === actualFor(item) ? 'OK' : 'BAD'));
  for (const item of items) {
    if (!item.present) continue;
    if (skipped.has(item)) {
      out.push({ check: { id: item.id, label: item.label, ...(item.expected !== undefined && { expected: item.expected }), status: 'SKIPPED', message: 'not checked at digest level rpm6: stronger digests cover the header and the payload' } });
      continue;
    }
    const actual = actualFor(item);
    const common = {
      id: item.id,
      label: item.label,
      ...(item.expected !== undefined && { expected: item.expected }),
      ...(actual !== undefined && { actual }),
    };
    if (decision.superseded.has(item)) {
      out.push({ check: extend(common, { status: 'SKIPPED', message: 'did not match, but its ALT twin (uncompressed payload) did, as rpm allows' }) });
    } else if (decision.status.get(item) === 'OK') {
      out.push({ check: extend(common, { status: 'OK' }) });
    } else if (item.invalid) {
      out.push({ code: 'ERR_RPM_DIGEST_INVALID', check: extend(common, { status: 'BAD', message: item.invalid }) });
    } else {
      out.push({ code: 'ERR_RPM_DIGEST_MISMATCH', check: extend(common, { status: 'BAD', message: `expected ${item.expected} != ${actual}` }) });
    }
  }
  const label = 'Header and payload covered by digests';
  const missing = [!decision.headerCovered && 'the header', !decision.payloadCovered && 'the payload'].filter(Boolean);
  out.push(
    missing.length === 0
      ? { check: { id: 'digests', label, status: 'OK' } }
      : { code: 'ERR_RPM_NO_DIGEST', check: { id: 'digests', label, status: 'MISSING', message: `no valid digest covers ${missing.join(' or ')}` } },
  );
  return out;
}
