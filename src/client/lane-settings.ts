/**
 * What a Downloader's download lanes are started with (how many is the `lanes` option; see its
 * documentation for why the default is none).
 */
import type { LaneInit } from '../fetch/lanes/lane-protocol.js';
import type { ResolvedOptions } from './options.js';

export function laneInit(o: ResolvedOptions): LaneInit {
  return {
    userAgent: o.userAgent,
    proxy: { ...(o.proxy.http && { http: o.proxy.http.href }), ...(o.proxy.https && { https: o.proxy.https.href }), noProxy: o.proxy.noProxy.map((e) => ({ ...e })) },
    ...(o.tls && { tls: o.tls }),
    maxRedirects: o.maxRedirects,
    allowInsecureRedirects: o.allowInsecureRedirects,
    ...o.request,
  };
}
