/**
 * A raw TCP server that reads request heads and lets the test answer each one byte for byte: for the
 * HTTP client's tests of keep-alive, the stale-connection race, headers sent, and connections left
 * open. Counts connections accepted and still open.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ScriptedRequest {
  /** The request head, line ends included. */
  head: string;
  /** Its connection, numbered from 1 in order of arrival. */
  connection: number;
  /** Its number on that connection, from 1. */
  index: number;
  socket: Socket;
  /** A header's value (first occurrence, name case-insensitive), or undefined. */
  header(name: string): string | undefined;
}

export interface ScriptedServer {
  url: string;
  port: number;
  requests: ScriptedRequest[];
  /** Connections accepted so far. */
  connections(): number;
  /** Connections open now. */
  open(): number;
  close(): Promise<void>;
}

export async function scriptedServer(answer: (req: ScriptedRequest) => void): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const requests: ScriptedRequest[] = [];
  let connections = 0;
  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    let index = 0;
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end + 4);
        pending = pending.slice(end + 4);
        const req: ScriptedRequest = {
          head,
          connection,
          index: ++index,
          socket,
          header: (name) => new RegExp(`^${name}: ?(.*)$`, 'im').exec(head)?.[1]?.trim(),
        };
        requests.push(req);
        answer(req);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests,
    connections: () => connections,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}

/** A complete response with a Content-Length body. */
export function reply(body: string, status = '200 OK', headers = ''): string {
  return `HTTP/1.1 ${status}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n${headers}\r\n${body}`;
}
