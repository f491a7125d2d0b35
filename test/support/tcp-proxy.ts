import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** Stops listening and cuts every connection it carries. */
  close(): Promise<void>;
}

/**
 * Forwards every connection to 127.0.0.1:`port` to `target`: a database that "appears" on a port
 * where nothing listened, without touching the real server other tests share.
 */
export async function startTcpProxy(
  port: number,
  target: { host: string; port: number },
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
