/**
 * How many download lanes a Downloader runs, and what they are started with. Lanes pay where a second
 * core exists: one per core (up to four), none on a single core or with `offload: false`, where every
 * transfer stays on the Downloader's thread.
 */
import { availableParallelism } from 'node:os';
import type { LaneInit } from '../fetch/lanes/lane-protocol.js';
import type { OffloadMode } from '../rpm/stream-hasher.js';
import type { ResolvedOptions } from './options.js';

/** At most this many lanes: beyond, the attempts' thread and the disk are the limit, not the cores. */
const MAX_LANES = 4;

export function laneCount(offload: OffloadMode, cores: number = availableParallelism()): number {
  if (offload === false) return 0;
  if (offload === true) return Math.max(1, Math.min(cores, MAX_LANES));
  return cores >= 2 ? Math.min(cores, MAX_LANES) : 0;
}

export function laneInit(o: ResolvedOptions): LaneInit {
  return {
    userAgent: o.userAgent,
    proxy: { ...(o.proxy.http && { http: o.proxy.http.href }), ...(o.proxy.https && { https: o.proxy.https.href }), noProxy: o.proxy.noProxy.map((e) => ({ ...e })) },
    ...(o.tls && { tls: o.tls }),
    maxRedirects: o.maxRedirects,
    allowInsecureRedirects: o.allowInsecureRedirects,
  };
}
