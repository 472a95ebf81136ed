/**
 * Where the regions of a package file start and end, read from the raw intro fields without any of
 * the verifier's code, so that mutation tests do not depend on what they test.
 */
export interface Layout {
  lead: [number, number];
  sigIntro: [number, number];
  sigIndex: [number, number];
  sigData: [number, number];
  pad: [number, number];
  hdrIntro: [number, number];
  hdrIndex: [number, number];
  hdrData: [number, number];
  payload: [number, number];
}

export function layoutOf(bytes: Buffer): Layout {
  const sigIl = bytes.readUInt32BE(96 + 8);
  const sigDl = bytes.readUInt32BE(96 + 12);
  const sigIndexEnd = 112 + 16 * sigIl;
  const sigEnd = sigIndexEnd + sigDl;
  const padEnd = sigEnd + ((8 - ((sigEnd - 96) % 8)) % 8);
  const hdrIl = bytes.readUInt32BE(padEnd + 8);
  const hdrDl = bytes.readUInt32BE(padEnd + 12);
  const hdrIndexEnd = padEnd + 16 + 16 * hdrIl;
  const hdrEnd = hdrIndexEnd + hdrDl;
  return {
    lead: [0, 96],
    sigIntro: [96, 112],
    sigIndex: [112, sigIndexEnd],
    sigData: [sigIndexEnd, sigEnd],
    pad: [sigEnd, padEnd],
    hdrIntro: [padEnd, padEnd + 16],
    hdrIndex: [padEnd + 16, hdrIndexEnd],
    hdrData: [hdrIndexEnd, hdrEnd],
    payload: [hdrEnd, bytes.length],
  };
}

/** A deterministic pseudo-random generator (mulberry32) so mutants are the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
