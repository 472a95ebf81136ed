/**
 * Hostile servers and package rewrites for the tests of what a mirror must not be able to do: stream
 * without end, lie in headers, answer with something that is not an HTTP response.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Fault } from './fault-mirror.js';
import { layoutOf } from './layout.js';

/** Counts what a fault sent, so a test can say how much a client let through. */
export interface Meter {
  bytes: number;
}

/**
 * Sends `head` with no length (chunked), then zeros without end until the client goes away. The body a
 * mirror can send when a package's own size tags have been rewritten to say it is huge.
 */
export function endless(head: Buffer, meter: Meter): Fault {
  return (ctx) => {
    ctx.res.writeHead(200, { 'content-type': 'application/x-rpm' });
    const junk = Buffer.alloc(64 * 1024);
    let first = true;
    const pump = (): void => {
      while (!ctx.res.destroyed) {
        const chunk = first ? head : junk;
        first = false;
        meter.bytes += chunk.length;
        if (!ctx.res.write(chunk)) {
          ctx.res.once('drain', pump);
          return;
        }
      }
    };
    ctx.res.on('error', () => {});
    pump();
  };
}

/** A copy of `pkg` with the INT32 or INT64 value of a signature-header tag replaced. */
export function rewriteSignatureTag(pkg: Buffer, tag: number, value: number | bigint): Buffer {
  const copy = Buffer.from(pkg);
  const layout = layoutOf(copy);
  const [indexStart, indexEnd] = layout.sigIndex;
  for (let at = indexStart; at < indexEnd; at += 16) {
    if (copy.readInt32BE(at) !== tag) continue;
    const type = copy.readUInt32BE(at + 4);
    const offset = layout.sigData[0] + copy.readInt32BE(at + 8);
    if (type === 4) copy.writeUInt32BE(Number(value), offset);
    else if (type === 5) copy.writeBigUInt64BE(BigInt(value), offset);
    else throw new Error(`tag ${tag} has type ${type}`);
    return copy;
  }
  throw new Error(`no signature tag ${tag}`);
}

/** A raw TCP server that answers every connection with `reply` and then holds it open. */
export async function rawServer(reply: (socket: Socket) => void): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    // Wait for the request line, as a real server would.
    socket.once('data', () => reply(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}
