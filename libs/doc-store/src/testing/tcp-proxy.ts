import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder that tests can cut and restore, to watch a client live through a server outage
 * without stopping a server other suites share.
 */
export interface TcpProxy {
  readonly port: number;
  /** Stops listening and drops every open connection: the server looks gone. */
  cut(): Promise<void>;
  /** Listens on the same port again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const makeServer = () =>
    createServer((client) => {
      const upstream = connect(target);
      track(client);
      track(upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  const stop = async (server: Server) => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  let server = makeServer();
  const port = await listen(server, 0);
  let listening = true;
  return {
    port,
    async cut() {
      if (!listening) return;
      listening = false;
      await stop(server);
    },
    async restore() {
      if (listening) return;
      server = makeServer();
      await listen(server, port);
      listening = true;
    },
    async close() {
      if (listening) await stop(server);
      listening = false;
    },
  };
}
