import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * The network between a care worker's tablet and the server, as a TCP relay on a free port that
 * the test can cut: `cut()` drops every open connection at once (both ends see it die, as when
 * the Wi-Fi goes) and refuses new ones until `restore()`. Nothing in the page or the server is
 * changed or told; they have to notice by themselves.
 */
export class NetworkLink {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private down = false;
  private targetPort = 0;
  /** connections accepted so far, and refused while cut */
  accepted = 0;
  refused = 0;

  private constructor() {
    this.server = createServer((client) => this.relay(client));
  }

  /** listens on a free port on 127.0.0.1; set the target with `to()` before traffic arrives */
  static async open(): Promise<NetworkLink> {
    const link = new NetworkLink();
    await new Promise<void>((resolve, reject) => {
      link.server.once('error', reject);
      link.server.listen(0, '127.0.0.1', () => resolve());
    });
    return link;
  }

  get port(): number {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the link is not listening');
    return address.port;
  }

  /** the URL the browser opens instead of the server's own */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  to(port: number): void {
    this.targetPort = port;
  }

  /** how many connections are relayed right now */
  get open(): number {
    return this.pairs.size;
  }

  cut(): void {
    this.down = true;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    if (this.down || !this.targetPort) {
      this.refused++;
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
