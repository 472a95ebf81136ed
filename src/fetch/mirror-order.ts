/**
 * Which of a target's usable mirrors to ask first: healthy ones (the caller's order, or by observed
 * success and throughput when adaptive), then suspect ones (a request hanging for headers), then
 * cooling ones, soonest back first. Never empty when given mirrors: when every mirror is cooling the
 * least bad still serves.
 */
import type { Mirror, MirrorCondition } from './mirror.js';

const RANK: Record<MirrorCondition, number> = { healthy: 0, suspect: 1, cooling: 2 };

export function orderMirrors(candidates: readonly Mirror[], suspectAfter: number, adaptive: boolean): Mirror[] {
  const keyed = candidates.map((mirror, position) => ({ mirror, position, condition: mirror.condition(suspectAfter) }));
  keyed.sort((a, b) => {
    const byCondition = RANK[a.condition] - RANK[b.condition];
    if (byCondition) return byCondition;
    if (a.condition === 'cooling') return a.mirror.coolingUntil - b.mirror.coolingUntil;
    if (adaptive && a.condition === 'healthy') {
      const diff = b.mirror.score - a.mirror.score;
      if (Math.abs(diff) > 1e-9) return diff;
    }
    return a.position - b.position;
  });
  return keyed.map((k) => k.mirror);
}
