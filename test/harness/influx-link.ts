import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface InfluxLink {
  url: string;
  /** from now on connections are accepted and never answered; open ones are closed */
  cut(): void;
  /** passes connections again; the ones held while cut are closed, so a hung request fails now */
  mend(): void;
  close(): Promise<void>;
}

/**
 * A TCP hop in front of the real InfluxDB that can be cut and mended: while cut, connections are
 * accepted and never answered, as in a network partition or a frozen InfluxDB.
 */
export async function cuttableLink(target: string): Promise<InfluxLink> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (cut) return; // accepted, never answered
    const upstream = createConnection(Number(port), hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    cut() {
      cut = true;
      // open keep-alive connections go too, so the next write meets the cut link
      for (const s of sockets) s.destroy();
    },
    mend() {
      cut = false;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
