import type { Alert } from './api.ts';

export interface LiveHandlers {
  onHello(lastSeq: number, resumed: boolean): void;
  onAlert(event: string, alert: Alert, seq: number): void;
  onConnection(up: boolean): void;
  /** the platform's degraded reasons (empty when healthy), sent after hello and on every change */
  onPlatform(degraded: string[]): void;
}

/**
 * The live feed, resumed from the last event seen after any drop: the server sends what was
 * missed, so nothing is lost and nothing comes twice.
 */
export class LiveFeed {
  private socket: WebSocket | null = null;
  private lastSeq: number | null = null;
  private retry = 0;
  private stopped = false;

  constructor(private readonly handlers: LiveHandlers) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }

  private connect(): void {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const since = this.lastSeq === null ? '' : `?since=${this.lastSeq}`;
    const socket = new WebSocket(`${proto}://${location.host}/live${since}`);
    this.socket = socket;
    socket.onopen = () => {
      this.retry = 0;
      this.handlers.onConnection(true);
    };
    socket.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as {
        type: string;
        lastSeq?: number;
        seq?: number;
        event?: string;
        alert?: Alert;
        degraded?: string[];
      };
      if (msg.type === 'hello') {
        const resumed = this.lastSeq !== null;
        if (!resumed) this.lastSeq = msg.lastSeq ?? 0;
        this.handlers.onHello(msg.lastSeq ?? 0, resumed);
      } else if (msg.type === 'alert' && msg.alert && msg.seq !== undefined) {
        this.lastSeq = Math.max(this.lastSeq ?? 0, msg.seq);
        this.handlers.onAlert(msg.event ?? '', msg.alert, msg.seq);
      } else if (msg.type === 'platform' && Array.isArray(msg.degraded)) {
        this.handlers.onPlatform(msg.degraded);
      }
    };
    socket.onclose = () => {
      this.handlers.onConnection(false);
      if (this.stopped) return;
      const delay = Math.min(10_000, 500 * 2 ** this.retry++);
      setTimeout(() => this.connect(), delay);
    };
  }
}
