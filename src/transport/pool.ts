/**
 * Idle keep-alive connections, per route, most recently used first (LIFO: the warmest socket, the one
 * least likely to have been closed by the server, goes out first; the coldest time out). An idle
 * socket does not keep the process alive, keeps reading so that a server's close (or stray bytes)
 * takes it out at once, and is closed after the keep-alive idle timeout.
 */
import type { Connection } from './connection.js';

export class ConnectionPool {
  private readonly idle = new Map<string, Connection[]>();

  constructor(private readonly idleTimeout: number) {}

  put(conn: Connection): void {
    const socket = conn.socket;
    if (!socket) return;
    socket.unref();
    conn.resume();
    conn.idleTimer = setTimeout(() => conn.destroy(), this.idleTimeout);
    conn.idleTimer.unref();
    const list = this.idle.get(conn.route.key);
    if (list) list.push(conn);
    else this.idle.set(conn.route.key, [conn]);
  }

  /** The most recently idled live connection of the route, taken out of the pool. */
  take(key: string): Connection | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const conn = list.pop() as Connection;
      this.unidle(conn);
      if (conn.usable) {
        conn.socket?.ref();
        return conn;
      }
      conn.destroy();
    }
    return undefined;
  }

  /** A connection that closed, if it was idle here. */
  remove(conn: Connection): void {
    const list = this.idle.get(conn.route.key);
    const at = list?.indexOf(conn) ?? -1;
    if (at < 0) return;
    list?.splice(at, 1);
    this.unidle(conn);
  }

  get size(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  private unidle(conn: Connection): void {
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    conn.idleTimer = undefined;
    const list = this.idle.get(conn.route.key);
    if (list?.length === 0) this.idle.delete(conn.route.key);
  }
}
