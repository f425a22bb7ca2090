import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AlertEvent } from '../../services/domain/index.ts';
import { type ConsentChange, isRemoteEvent } from '../../services/events/index.ts';
import { alarmStep, systemClock } from '../../services/runtime/index.ts';
import { canSeeAlert, homeFilter } from './access.ts';
import { type AlertViewModel, alertView, openedAlertView } from './alert-view.ts';
import { actorFromCookie, publicUser } from './auth.ts';
import type { Actor, DashboardContext } from './context.ts';
import { type LiveMessage, LiveQuery } from './live-schema.ts';
import { seesTestMode, testModeNotice, visibleTestModes } from './test-mode.ts';

const HEARTBEAT_MS = 30_000;
const BACKLOG_PAGE = 1000;

interface LiveClient {
  socket: WebSocket;
  actor: Actor;
  alive: boolean;
  /**
   * The client has every event it may see up to this seq: read from the store (the backlog), or
   * sent live. An event at or below it is never sent again, so a page that resumed here after
   * reconnecting (to this process or another) gets each event once.
   */
  upTo: number;
  /** live events that arrived while the backlog was being sent */
  pending: ViewedEvent[] | null;
}

/** An alert event with the alert as people see it (label, what was done to reach someone). */
interface ViewedEvent {
  seq: number;
  type: AlertEvent['type'];
  alert: AlertViewModel;
  /** the `alert` message, serialised by the first client it goes to and reused for the others */
  json?: string;
}

/**
 * The ws `/live` channel: each logged-in person gets the alert events they may see, in sequence
 * order, each once. A page that reconnects passes `?since=<last seq it saw>` and first gets what it
 * missed from the store, then live events.
 */
export class LiveChannel {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly clients = new Set<LiveClient>();
  /** what `start()` set up, each undone by `stop()` in reverse order */
  private readonly started: Array<() => void> = [];
  private readonly connections;
  private readonly refused;
  /**
   * Alert events are turned into views (a store read for the delivery lines) one after another,
   * so they still go out in the order they happened.
   */
  private outgoing: Promise<void> = Promise.resolve();
  /** events queued on `outgoing` and not yet sent */
  private viewing = 0;
  /**
   * Every alert event up to this seq went out to the clients, in seq order; null until the store's
   * last seq is known (at start). The store numbers events in commit order (an advisory lock on
   * PostgreSQL, one writer on SQLite), so once an event is heard every lower number is final.
   */
  private sentUpTo: number | null = null;
  private readonly gapsRead;

  constructor(
    private readonly ctx: DashboardContext,
    private readonly server: Server,
    private readonly allowedOrigins: () => string[],
    /** upgrade paths another handler answers (MQTT over WebSocket) */
    private readonly otherPaths: ReadonlySet<string> = new Set(),
  ) {
    // By role, never by team: which team has nobody watching is for escalation, not for a scrape.
    this.connections = ctx.metrics.gauge(
      'tryghed_dashboard_live_connections',
      'Open /live connections, by role',
      ['role'],
    );
    this.refused = ctx.metrics.counter('tryghed_dashboard_live_refused_total', 'Refused /live upgrades', [
      'reason',
    ]);
    this.gapsRead = ctx.metrics.counter(
      'tryghed_dashboard_live_store_reads_total',
      'Alert events read from the store before going out (from another process, or after a gap), by result',
      ['result'],
    );
  }

  /** Answers `/live` upgrades on the server, listens on the bus and pings clients, until `stop()`. */
  start(): void {
    if (this.started.length > 0) return;
    const { events } = this.ctx;
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      void this.upgrade(req, socket, head);
    this.server.on('upgrade', onUpgrade);
    this.started.push(
      () => this.server.off('upgrade', onUpgrade),
      events.on('alert/changed', (event) => this.broadcast(event)),
      events.on('health/changed', ({ degraded }) => this.broadcastPlatform(degraded)),
      events.on('consent/changed', (change) => this.broadcastConsent(change)),
      events.on('test-mode/changed', ({ homeId }) => this.broadcastTestMode(homeId)),
      // Logout (or a timeout noticed anywhere) ends the feed at once: no alerts to a session that is over.
      events.on('session/ended', ({ sessionId }) => {
        for (const c of this.clients)
          if (c.actor.sessionId === sessionId) c.socket.close(4401, 'session ended');
      }),
    );
    // real time, not the injected clock: the ping finds dead sockets, a matter of the network
    const heartbeat = systemClock.setInterval(() => void this.beat(), HEARTBEAT_MS).unref();
    this.started.push(() => heartbeat.cancel());
    // where the feed stands: events heard meanwhile wait behind this read
    this.viewing++;
    this.outgoing = this.outgoing
      .then(async () => {
        this.sentUpTo ??= await this.ctx.alerts.lastSeq();
      })
      .catch((err: unknown) => this.ctx.logger.error({ err }, 'reading the last alert event failed'))
      .finally(() => {
        this.viewing--;
      });
  }

  /** teams with at least one member watching right now */
  watchingTeams(): Set<string> {
    const teams = new Set<string>();
    for (const c of this.clients)
      if (c.actor.user.role === 'staff') for (const t of c.actor.user.teamIds) teams.add(t);
    return teams;
  }

  /** Undoes `start()` in reverse order, then ends every open feed. */
  stop(): void {
    for (const undo of this.started.splice(0).reverse()) undo();
    for (const c of this.clients) c.socket.terminate();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (this.otherPaths.has(url.pathname)) return;
    if (url.pathname !== '/live') return this.reject(socket, 404, 'not_found');
    const origin = req.headers.origin;
    // Browsers always send Origin on a WebSocket upgrade; a foreign page must not ride the cookie.
    if (!origin || !this.allowedOrigins().includes(origin)) return this.reject(socket, 403, 'origin');
    let actor: Actor;
    try {
      actor = await actorFromCookie(this.ctx, req.headers.cookie);
    } catch {
      return this.reject(socket, 401, 'session');
    }
    if (actor.user.mustChangePassword) return this.reject(socket, 403, 'password_change_required');
    // what the browser sends (the shared LiveConnectQuery), checked like any other input
    const query = LiveQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success) return this.reject(socket, 400, 'since');
    const since = query.data.since ?? null;
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, actor, since));
  }

  private reject(socket: Duplex, status: number, reason: string): void {
    this.refused.inc({ reason });
    this.ctx.logger.info({ status, reason }, 'live connection refused');
    const text =
      { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status] ?? 'Error';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private async accept(socket: WebSocket, actor: Actor, since: number | null): Promise<void> {
    const client: LiveClient = { socket, actor, alive: true, upTo: 0, pending: [] };
    this.clients.add(client);
    this.count(actor, 1);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('message', () => {
      // the channel is one-way; anything sent to it is ignored
    });
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      this.clients.delete(client);
      this.count(actor, -1);
    });
    try {
      const lastSeq = await this.ctx.alerts.lastSeq();
      // `fallback: 'none'`: nothing outside the board is set up, and the page must not promise it
      this.send(client, {
        type: 'hello',
        user: publicUser(actor.user),
        lastSeq,
        fallback: this.ctx.fallback ?? 'none',
      });
      // the platform's state comes right after hello, so a page shows a degraded banner at once
      this.send(client, { type: 'platform', degraded: this.ctx.health?.degraded() ?? [] });
      // homes a technician is testing now, so the board says so from the start
      for (const notice of visibleTestModes(this.ctx, actor.user)) this.send(client, notice);
      client.upTo = since ?? lastSeq;
      if (since !== null && since < lastSeq) {
        const homeIds = homeFilter(actor.user, this.ctx.registry);
        let from = since;
        for (;;) {
          const page = await this.ctx.alerts.eventsSince(from, {
            ...(homeIds ? { homeIds } : {}),
            limit: BACKLOG_PAGE,
          });
          // one view per alert per page: the delivery lines are the alert's current ones anyway
          const views = new Map<string, Promise<AlertViewModel>>();
          for (const event of page) {
            if (!canSeeAlert(client.actor.user, event.alert, this.ctx.registry)) continue;
            let view = views.get(event.alert.id);
            if (!view) {
              view = alertView(this.ctx, event.alert);
              views.set(event.alert.id, view);
            }
            this.deliver(client, {
              seq: event.seq,
              type: event.type,
              alert: { ...(await view), ...event.alert },
            });
          }
          if (page.length > 0) {
            from = page.at(-1)!.seq;
            client.upTo = Math.max(client.upTo, from);
          }
          if (page.length < BACKLOG_PAGE) break;
        }
      }
      client.upTo = Math.max(client.upTo, lastSeq);
      const pending = client.pending ?? [];
      client.pending = null;
      // seq 0: an alert the store has not taken yet, so not in the backlog either
      for (const event of pending)
        if (event.seq > client.upTo || event.seq === 0) this.deliver(client, event);
    } catch (err) {
      this.ctx.logger.error({ err }, 'starting a live feed failed');
      socket.close(1011, 'server error');
    }
  }

  /**
   * An alert event to everyone who may see it. The view is built once per event, and the message
   * serialised once, for every client. A new alert (an alarm) goes out at once, in the same turn of
   * the event loop as the store write it follows, when no earlier event is still waiting for its
   * view: it never waits behind store reads. Other events read the delivery lines from the store
   * first, one after another, so they still go out in the order they happened.
   */
  private broadcast(event: AlertEvent): void {
    if (event.seq === 0) {
      // an alert the store has not taken (it does not answer): out at once, viewed without the
      // store, outside the numbered order; its stored events follow when the store is back
      const view = openedAlertView(this.ctx, event.alert);
      if (view) {
        this.fanOut({ seq: 0, type: event.type, alert: view });
        if (event.type === 'opened') alarmStep('sent', event.alert.homeId);
      } else {
        this.outgoing = this.outgoing
          .then(async () =>
            this.fanOut({ seq: 0, type: event.type, alert: await alertView(this.ctx, event.alert) }),
          )
          .catch((err: unknown) => this.ctx.logger.error({ err }, 'sending an unstored alert event failed'));
      }
      return;
    }
    if (this.sentUpTo !== null && event.seq <= this.sentUpTo) return; // out already (read from the store)
    const next = this.sentUpTo !== null && event.seq === this.sentUpTo + 1;
    const now =
      this.viewing === 0 && next && event.type === 'opened' && !isRemoteEvent(event)
        ? openedAlertView(this.ctx, event.alert)
        : null;
    if (now) {
      this.sentUpTo = event.seq;
      this.fanOut({ seq: event.seq, type: event.type, alert: now });
      alarmStep('sent', event.alert.homeId);
      return;
    }
    this.viewing++;
    this.outgoing = this.outgoing
      .then(async () => {
        if (this.sentUpTo !== null && event.seq <= this.sentUpTo) return;
        if (this.sentUpTo !== null && event.seq === this.sentUpTo + 1 && !isRemoteEvent(event)) {
          this.sentUpTo = event.seq;
          this.fanOut({ seq: event.seq, type: event.type, alert: await alertView(this.ctx, event.alert) });
          if (event.type === 'opened') alarmStep('sent', event.alert.homeId);
          return;
        }
        await this.fromStore(event);
      })
      .catch((err: unknown) =>
        this.ctx.logger.error({ err, seq: event.seq }, 'sending an alert event failed'),
      )
      .finally(() => {
        this.viewing--;
      });
  }

  /**
   * An event from another process, or one with a gap before it (a lower number committed but not
   * yet heard of here, say by another process): everything up to it is read from the store, the
   * truth, and goes out in seq order. So a board on any process gets every event once and in order,
   * and an event another process only claims to have written (nothing in the store) goes nowhere.
   */
  private async fromStore(event: AlertEvent): Promise<void> {
    let from = this.sentUpTo ?? event.seq - 1;
    try {
      for (;;) {
        const page = await this.ctx.alerts.eventsSince(from, { limit: BACKLOG_PAGE });
        const views = new Map<string, Promise<AlertViewModel>>();
        for (const stored of page) {
          if (stored.seq > event.seq) break;
          let view = views.get(stored.alert.id);
          if (!view) {
            view = alertView(this.ctx, stored.alert);
            views.set(stored.alert.id, view);
          }
          this.sentUpTo = stored.seq;
          this.fanOut({ seq: stored.seq, type: stored.type, alert: { ...(await view), ...stored.alert } });
        }
        from = page.at(-1)?.seq ?? from;
        if (page.length < BACKLOG_PAGE || from >= event.seq) break;
      }
      this.gapsRead.inc({ result: 'read' });
      if ((this.sentUpTo ?? 0) < event.seq) {
        this.gapsRead.inc({ result: 'not_in_store' });
        this.ctx.logger.warn({ seq: event.seq }, 'an alert event not in the store was not sent');
      }
    } catch (err) {
      // the store does not answer: what this process heard still goes out (an alarm must not wait on
      // a database), in order; the page reads the rest from the store when it reconnects
      this.gapsRead.inc({ result: 'failed' });
      this.ctx.logger.error({ err, seq: event.seq }, 'reading alert events from the store failed');
      this.sentUpTo = Math.max(this.sentUpTo ?? 0, event.seq);
      this.fanOut({ seq: event.seq, type: event.type, alert: await alertView(this.ctx, event.alert) });
    }
  }

  private fanOut(viewed: ViewedEvent): void {
    for (const client of this.clients) {
      if (client.pending) client.pending.push(viewed);
      else this.deliver(client, viewed);
    }
  }

  /**
   * A consent change to alerts, to the care staff of the home's team only (issue 7 item 12):
   * staff must know at once that a kind of alert will no longer come, and since when. The message
   * carries every category whose alerts are off now, so a page simply replaces what it showed.
   */
  private broadcastConsent(change: ConsentChange): void {
    if (change.event.purpose !== 'alerts') return;
    const home = this.ctx.registry.home(change.homeId);
    // a test home raises no care alerts, so there is nothing for staff to miss
    if (!home || home.test) return;
    const message: LiveMessage = {
      type: 'consent',
      homeId: home.id,
      homeLabel: home.label,
      alertsOff: this.ctx.consent.alertsOff(home.id),
    };
    for (const client of this.clients) {
      const user = client.actor.user;
      if (user.role === 'staff' && user.teamIds.includes(home.teamId)) this.send(client, message);
    }
  }

  /** `{type:'platform', degraded:[…]}` to everyone connected, whenever the reasons change */
  private broadcastPlatform(degraded: string[]): void {
    for (const client of this.clients) this.send(client, { type: 'platform', degraded });
  }

  /** `{type:'test_mode', homeId, until, devices}` to those told of the home's test mode, on every start or end */
  private broadcastTestMode(homeId: string): void {
    const notice = testModeNotice(this.ctx, homeId);
    for (const client of this.clients)
      if (seesTestMode(client.actor.user, homeId, this.ctx)) this.send(client, notice);
  }

  private deliver(client: LiveClient, event: ViewedEvent): void {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    // sent already (in the backlog, or live before a resume): each event once; seq 0 is not stored
    // yet, so it is in no backlog and moves nothing
    if (event.seq !== 0) {
      if (event.seq <= client.upTo) return;
      client.upTo = event.seq;
    }
    if (!canSeeAlert(client.actor.user, event.alert, this.ctx.registry)) return;
    if (event.json === undefined) {
      const message: LiveMessage = { type: 'alert', seq: event.seq, event: event.type, alert: event.alert };
      event.json = JSON.stringify(message);
    }
    client.socket.send(event.json);
  }

  private send(client: LiveClient, message: LiveMessage): void {
    if (client.socket.readyState === WebSocket.OPEN) client.socket.send(JSON.stringify(message));
  }

  private async beat(): Promise<void> {
    for (const client of [...this.clients]) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      // An open board is someone watching for alerts, so a live socket keeps its session from idling
      // out (a team screen must not go quiet after 30 minutes without clicks); the absolute
      // timeout still ends it, and `get` closing an expired session closes this socket too.
      try {
        if (!(await this.ctx.sessions.get(client.actor.sessionId))) continue;
      } catch (err) {
        this.ctx.logger.error({ err }, 'checking a live session failed');
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  private count(actor: Actor, delta: number): void {
    this.connections.inc({ role: actor.user.role }, delta);
  }
}
