import {
  type LiveAlertEvent,
  type LiveMessageType,
  type LiveServerMessage,
  liveQueryString,
} from '../../../services/domain/shared/live-messages.ts';
import type { HomeAlertsOff } from './alerts-off.ts';
import type { Alert } from './api.ts';
import type { TestModeNotice } from './test-mode.ts';

/** a message of /live as the board reads it: the shared types, with the API's alert */
export type LiveMessage = LiveServerMessage<Alert>;

const TYPES: readonly LiveMessageType[] = ['hello', 'alert', 'platform', 'consent', 'test_mode'];

/**
 * A message from the server, or null for anything that is not one (the server sends only these;
 * a proxy's or a newer server's other frames are skipped, not guessed at).
 */
export function parseLiveMessage(text: string): LiveMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || !('type' in value)) return null;
  const type = TYPES.find((t) => t === value.type);
  if (!type) return null;
  // the server builds each message as LiveServerMessage (dashboard/server/live.ts): its own word
  return value as LiveMessage;
}

/** `connecting` before the first hello, `reconnecting` after any drop until the next hello */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface LiveHandlers {
  /** `fallback`: whether anything outside the board is set up to catch escalated alerts */
  onHello(lastSeq: number, resumed: boolean, fallback: 'configured' | 'none'): void;
  onAlert(event: LiveAlertEvent, alert: Alert, seq: number): void;
  onConnection(state: ConnectionState): void;
  /** the platform's degraded reasons (empty when healthy), sent after hello and on every change */
  onPlatform(degraded: string[]): void;
  /** a home's alerts consent changed: the kinds of alert that are off there now */
  onConsent?(home: HomeAlertsOff): void;
  /** a home's test mode started, changed or ended (sent after hello for every home in test mode) */
  onTestMode?(notice: TestModeNotice): void;
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
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly handlers: LiveHandlers) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close();
  }

  private async checkSession(): Promise<void> {
    const res = await fetch('/api/session', { credentials: 'same-origin' }).catch(() => null);
    if (res?.status === 401 && !this.stopped) location.assign('/?session=ended');
  }

  private connect(): void {
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = liveQueryString(this.lastSeq === null ? {} : { since: this.lastSeq });
    const socket = new WebSocket(`${proto}://${location.host}/live${query}`);
    this.socket = socket;
    socket.onmessage = (e) => {
      const msg = parseLiveMessage(String(e.data));
      if (!msg) return;
      switch (msg.type) {
        case 'hello': {
          // connected means the server took us in (session valid) and is sending, not just a TCP open
          this.retry = 0;
          this.handlers.onConnection('connected');
          const resumed = this.lastSeq !== null;
          if (!resumed) this.lastSeq = msg.lastSeq;
          this.handlers.onHello(msg.lastSeq, resumed, msg.fallback);
          break;
        }
        case 'alert':
          this.lastSeq = Math.max(this.lastSeq ?? 0, msg.seq);
          this.handlers.onAlert(msg.event, msg.alert, msg.seq);
          break;
        case 'platform':
          this.handlers.onPlatform(msg.degraded);
          break;
        case 'consent':
          this.handlers.onConsent?.({
            homeId: msg.homeId,
            homeLabel: msg.homeLabel,
            alertsOff: msg.alertsOff,
          });
          break;
        case 'test_mode':
          this.handlers.onTestMode?.(msg);
          break;
      }
    };
    let welcomed = false;
    socket.addEventListener('message', () => {
      welcomed = true;
    });
    socket.onclose = (e) => {
      // 4401: the session ended (logout elsewhere, or its time ran out): back to the login page
      if (e.code === 4401) return location.assign('/?session=ended');
      if (this.stopped) return;
      // refused before any message: perhaps the session ran out while we were away; ask once
      if (!welcomed) void this.checkSession();
      this.handlers.onConnection('reconnecting');
      // back off to 10 s, with jitter so a room of tablets does not come back in one burst
      const delay = Math.min(10_000, 500 * 2 ** this.retry++) * (0.8 + Math.random() * 0.4);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
