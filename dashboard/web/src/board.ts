import { alertTitle, el, OUTCOMES, type ResolveDraft } from './alert-card.ts';
import { renderAlertList } from './alert-list.tsx';
import { AlertsOffNotice } from './alerts-off.ts';
import { type Alert, ApiError, acknowledge, arrive, openAlerts, resolve, setOut } from './api.ts';
import { BoardFilters, BoardSummary } from './board-filters.tsx';
import { tb } from './board-strings.ts';
import { escalationText } from './delivery.ts';
import { errorText } from './errors.ts';
import { t } from './i18n.ts';
import { type ConnectionState, LiveFeed } from './live.ts';
import { ResolvedList } from './resolved-list.tsx';
import { AlertSound } from './sound.ts';
import { TestModeBanner } from './test-mode.ts';
import { UndeliveredList } from './undelivered-list.tsx';

const RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const STATE_RANK: Record<string, number> = { open: 0, acknowledged: 1, resolved: 2 };

/**
 * How far along a version of an alert is. Repeats only grow, and a critical alert that repeats
 * after its acknowledgement is open again with one more repeat, so (repeats, state, escalation)
 * orders every version; state alone would let an old "acknowledged" hide a re-opened alert.
 */
function progress(a: Alert): [number, number, number, number] {
  // "på vej" and "fremme" only ever go forward on an alert, too
  const steps = (a.enRouteAt === null ? 0 : 1) + (a.arrivedAt === null ? 0 : 1);
  return [a.repeats, STATE_RANK[a.state] ?? 0, a.escalationLevel ?? 0, steps];
}

function behind(a: Alert, b: Alert): boolean {
  const [x, y] = [progress(a), progress(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return false;
}

/** Where focus was before a render: which control, in which alert, at which place in the list. */
interface FocusMark {
  key: string | null;
  alertId: string;
  index: number;
  selection: [number, number] | null;
}

/**
 * The staff alert board: live, sorted by severity then age, usable by keyboard alone. Cards are
 * kept by alert id and only rebuilt when they change, and focus (with the caret of a note being
 * typed) is given back by alert id after every live update.
 */
export class AlertBoard {
  private readonly alerts = new Map<string, Alert>();
  private readonly drafts = new Map<string, ResolveDraft>();
  private readonly busy = new Set<string>();
  /** why the last action on an alert failed, shown on its card until an action on it succeeds */
  private readonly failures = new Map<string, string>();
  private readonly feed: LiveFeed;
  private readonly sound = new AlertSound();
  private resolving: string | null = null;
  private overdueTimer: ReturnType<typeof setTimeout> | undefined;
  /** whether a fallback outside the board is set up (from the live feed's hello) */
  private fallback: 'configured' | 'none' = 'none';
  private readonly heading = el('h2', { id: 'alerts-title', tabIndex: -1 }, t('alerts'));
  private readonly list = el('ul', { className: 'alerts', 'aria-labelledby': 'alerts-title' });
  private readonly empty = el('p', { id: 'alerts-empty', className: 'empty' }, tb('loadingAlerts'));
  /**
   * Whether the last read of the open alerts succeeded: until one has (and after one failed) an
   * empty list says "loading", never "all is calm", and a failed read says so and is tried again.
   */
  private listLoaded = false;
  private readonly loadFailure = el('p', {
    id: 'alerts-load-failed',
    className: 'error',
    role: 'alert',
    hidden: true,
  });
  private loadTimer: ReturnType<typeof setTimeout> | undefined;
  /** failed reads in a row: the next try waits 1, 2, 4 … at most 30 s */
  private loadFailures = 0;
  /** a newer read (a reconnect) makes an older one's answer moot */
  private loadGeneration = 0;
  private readonly summary = new BoardSummary();
  private readonly filters = new BoardFilters(() => this.render());
  private readonly resolved = new ResolvedList();
  private readonly undelivered = new UndeliveredList();
  private readonly unlockSound = () => this.sound.unlock();
  private readonly alertsOff = new AlertsOffNotice((text) => {
    this.announcer.textContent = text;
  });
  /** homes of the team a technician is testing now */
  private readonly testMode = new TestModeBanner();

  constructor(
    private readonly root: HTMLElement,
    private readonly connection: HTMLElement,
    private readonly soundButton: HTMLButtonElement,
    private readonly announcer: HTMLElement,
    private readonly banner: HTMLElement,
    /** the worker's teams: with more than one (or none: an administrator), each card names its team */
    private readonly teamIds: readonly string[] = [],
  ) {
    this.feed = new LiveFeed({
      onHello: (_seq, resumed, fallback) => {
        this.fallback = fallback;
        if (!resumed) void this.load();
        // consent changes are not replayed on resume: the list is read again on every (re)connect
        void this.alertsOff.load().catch(() => undefined);
      },
      onConsent: (home) => this.alertsOff.apply(home),
      onAlert: (event, alert) => this.apply(event, alert),
      onConnection: (state) => this.showConnection(state),
      onPlatform: (degraded) => this.showPlatform(degraded),
      onTestMode: (notice) => this.testMode.apply(notice),
    });
  }

  start(): void {
    this.root.replaceChildren(
      this.heading,
      this.testMode.node,
      this.alertsOff.element,
      this.summary.element,
      this.filters.element,
      this.loadFailure,
      this.empty,
      this.list,
      this.resolved.element,
      this.undelivered.element,
    );
    this.soundButton.hidden = false;
    this.soundButton.onclick = () => {
      this.sound.setEnabled(!this.sound.enabled);
      this.renderSoundButton();
    };
    this.renderSoundButton();
    // any key press or touch on the page lets the browser play the next alert's sound
    document.addEventListener('keydown', this.unlockSound);
    document.addEventListener('pointerdown', this.unlockSound);
    this.sound.unlock();
    this.showConnection('connecting');
    this.feed.start();
  }

  stop(): void {
    document.removeEventListener('keydown', this.unlockSound);
    document.removeEventListener('pointerdown', this.unlockSound);
    this.feed.stop();
    this.testMode.stop();
    clearTimeout(this.overdueTimer);
    clearTimeout(this.loadTimer);
    this.loadGeneration++;
    this.showPlatform([]);
  }

  /**
   * Reads the open alerts (on every connect that could not resume). A failed read is said on the
   * board, in words, and tried again by itself until it succeeds: an empty board must never claim
   * that all is calm while open alerts could not be read. Live events are shown meanwhile.
   */
  private async load(): Promise<void> {
    clearTimeout(this.loadTimer);
    const generation = ++this.loadGeneration;
    try {
      const { alerts } = await openAlerts();
      if (generation !== this.loadGeneration) return;
      for (const a of alerts) this.merge(a);
      this.listLoaded = true;
      this.loadFailures = 0;
      this.loadFailure.hidden = true;
      this.render();
      this.showLinked();
    } catch (err) {
      if (generation !== this.loadGeneration) return;
      // what was read before may be stale now: an empty list no longer says that all is calm
      this.listLoaded = false;
      const waitMs = Math.min(30_000, 1000 * 2 ** this.loadFailures);
      this.loadFailures++;
      this.loadFailure.hidden = false;
      this.loadFailure.textContent = tb('alertsLoadFailed', {
        why: errorText(err),
        seconds: String(waitMs / 1000),
      });
      this.render();
      this.loadTimer = setTimeout(() => void this.load(), waitMs);
    }
  }

  /** a notifier's link (`/?alert=<id>`) opens the board with that alert in view and focused */
  private showLinked(): void {
    const id = new URLSearchParams(location.search).get('alert');
    if (!id) return;
    const card = this.cardOf(id);
    if (!card) return;
    card.tabIndex = -1;
    card.classList.add('linked');
    card.scrollIntoView({ block: 'center' });
    card.focus();
  }

  /** keeps whichever version is further along, so a late snapshot never undoes a live event */
  private merge(alert: Alert): void {
    const current = this.alerts.get(alert.id);
    if (current && behind(alert, current)) return;
    // taken on or resolved since (by someone else, or once the store answered): the failure is old news
    if (current && current.state !== alert.state) this.failures.delete(alert.id);
    this.alerts.set(alert.id, alert);
  }

  private apply(event: string, alert: Alert): void {
    const before = this.alerts.get(alert.id);
    this.merge(alert);
    // an alert is announced and sounded once, however often its opening is delivered
    if (event === 'opened' && !before) {
      this.announcer.textContent = `${t('newAlert')}: ${alertTitle(alert)}`;
      if (alert.severity === 'critical') this.sound.play(alert.id);
    } else if (event === 'repeated' && before?.state === 'acknowledged' && alert.state === 'open') {
      // pressed again after someone took it on: nobody came, so it needs a person again
      this.announcer.textContent = `${t('reopened')}: ${alertTitle(alert)}`;
      if (alert.severity === 'critical') this.sound.play(alert.id);
    } else if (event === 'escalated') {
      // escalated means nobody has taken it on yet: say so, and sound again (unless muted)
      this.announcer.textContent = `${escalationText(alert)}: ${alertTitle(alert)}`;
      this.sound.play(alert.id);
    } else if (event === 'resolved') {
      // a colleague resolved it: an open "recently resolved" list shows it too
      this.resolved.changed();
    } else if (event === 'notified') {
      // a notice was tried: an open "ikke leveret" list is read again
      this.undelivered.changed();
    }
    this.render();
  }

  private render(): void {
    // severity first, then the oldest first: who has waited longest is seen first
    const open = [...this.alerts.values()]
      .filter((a) => a.state !== 'resolved')
      .sort((a, b) => RANK[a.severity]! - RANK[b.severity]! || a.openedAt - b.openedAt);
    this.filters.update(open);
    const visible = open.filter((a) => this.filters.matches(a));
    this.summary.update(open, visible.length);
    this.empty.hidden = visible.length > 0;
    this.empty.textContent =
      open.length > 0 ? tb('filteredEmpty') : this.listLoaded ? t('noAlerts') : tb('loadingAlerts');
    const mark = this.focusMark();

    const shown = new Set(visible.map((a) => a.id));
    for (const id of this.drafts.keys()) if (!shown.has(id)) this.drafts.delete(id);
    for (const id of this.failures.keys()) if (!this.alerts.has(id)) this.failures.delete(id);
    if (this.resolving && !shown.has(this.resolving)) this.resolving = null;
    // a keyed list (alert-list.tsx): a card whose alert did not change is not touched, and Preact
    // moves as few cards as it can; focus is given back below when a move took it away
    renderAlertList(this.list, visible, this.resolving, this, this.showTeam);
    if (mark) this.restoreFocus(mark);
    this.scheduleOverdue(open);
  }

  /**
   * renders again when the next alert passes its arrival target or a notice becomes late, so its
   * mark appears by itself
   */
  private scheduleOverdue(open: readonly Alert[]): void {
    clearTimeout(this.overdueTimer);
    const now = Date.now();
    const next = Math.min(
      ...open.map((a) =>
        a.arrivalDueAt !== null && a.arrivedAt === null && a.arrivalDueAt > now ? a.arrivalDueAt : Infinity,
      ),
      // and when a notice not yet delivered becomes late ("Besked ikke leveret")
      ...open.flatMap((a) =>
        (a.delivery.undelivered ?? []).map((n) => (n.lateAt > now ? n.lateAt : Infinity)),
      ),
    );
    if (Number.isFinite(next))
      this.overdueTimer = setTimeout(() => this.render(), Math.min(next - now + 250, 2 ** 31 - 1));
  }

  private cardOf(id: string): HTMLElement | null {
    return this.list.querySelector<HTMLElement>(`li[data-alert-id="${CSS.escape(id)}"]`);
  }

  private get showTeam(): boolean {
    return this.teamIds.length !== 1;
  }

  private focusMark(): FocusMark | null {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || !this.list.contains(active)) return null;
    const item = active.closest('li[data-alert-id]');
    if (!item) return null;
    return {
      key: active.getAttribute('data-focus-key'),
      alertId: item.getAttribute('data-alert-id')!,
      index: [...this.list.children].indexOf(item),
      selection: active instanceof HTMLTextAreaElement ? [active.selectionStart, active.selectionEnd] : null,
    };
  }

  /**
   * After a render, focus goes back to the same control of the same alert; if that control is gone
   * (acknowledged: no acknowledge button), to the alert's first control; if the alert is gone
   * (resolved), to the alert now in its place, or to the board's heading. Never to the page's top.
   */
  private restoreFocus(mark: FocusMark): void {
    const active = document.activeElement;
    if (active instanceof HTMLElement && active !== document.body && active.isConnected) return;
    const byKey = (key: string) =>
      this.list.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`);
    const firstControl = (item: Element | undefined) =>
      item?.querySelector<HTMLElement>('[data-focus-key]') ?? null;
    const same = mark.key ? byKey(mark.key) : null;
    const target =
      same ??
      firstControl(this.cardOf(mark.alertId) ?? undefined) ??
      firstControl(this.list.children[Math.min(mark.index, this.list.children.length - 1)]) ??
      this.heading;
    target.focus();
    if (same instanceof HTMLTextAreaElement && mark.selection) same.setSelectionRange(...mark.selection);
  }

  draft(id: string): ResolveDraft {
    let draft = this.drafts.get(id);
    if (!draft) {
      // nothing preselected: the outcome is a choice the worker makes, never a default
      draft = { outcome: '', note: '' };
      this.drafts.set(id, draft);
    }
    return draft;
  }

  failure(id: string): string | null {
    return this.failures.get(id) ?? null;
  }

  acknowledge(id: string): void {
    void this.act(id, () => acknowledge(id), 'ackDone');
  }

  setOut(id: string): void {
    void this.act(id, () => setOut(id), { text: tb('enRouteDone') });
  }

  arrive(id: string): void {
    void this.act(id, () => arrive(id), { text: tb('arrivedDone') });
  }

  toggleResolve(id: string): void {
    const opening = this.resolving !== id;
    this.resolving = opening ? id : null;
    this.render();
    // opening moves focus into the form; closing gives it back to the button that opened it
    const key = opening ? `outcome-${id}` : `res-${id}`;
    this.list.querySelector<HTMLElement>(`[data-focus-key="${key}"]`)?.focus();
  }

  submitResolve(id: string, draft: ResolveDraft): void {
    // the form lets no empty choice through; anything else is not an outcome the server knows
    const outcome = OUTCOMES.find((o) => o === draft.outcome);
    if (outcome) void this.act(id, () => resolve(id, outcome, draft.note), 'resolveDone');
  }

  private async act(
    id: string,
    action: () => Promise<{ alert: Alert }>,
    done: 'ackDone' | 'resolveDone' | { text: string },
  ): Promise<void> {
    // a second key press while the first request is on its way is not a second action
    if (this.busy.has(id)) return;
    this.busy.add(id);
    try {
      const { alert } = await action();
      this.failures.delete(id);
      if (alert.state === 'resolved' && this.resolving === id) this.resolving = null;
      if (alert.state === 'resolved') this.resolved.changed();
      this.merge(alert);
      this.render();
      this.announcer.textContent = `${typeof done === 'string' ? t(done) : done.text}: ${alertTitle(alert)}`;
    } catch (err) {
      // Said on the card, not only to a screen reader. Nothing is shown as done: the card keeps the
      // alert as the server last said it, and its escalation goes on.
      const why = err instanceof ApiError && err.reason === 'store_down' ? tb('notSaved') : errorText(err);
      this.failures.set(id, why);
      this.render();
      this.announcer.textContent = `${t('failed')}: ${why}`;
    } finally {
      this.busy.delete(id);
    }
  }

  /** in words, not colour alone; the dot before it is decoration (styles.css) */
  private showConnection(state: ConnectionState): void {
    this.connection.hidden = false;
    this.connection.className = `connection ${state}`;
    this.connection.textContent = t.of('connection_', state);
  }

  /** a banner while the platform is degraded: the board alone cannot be trusted then */
  private showPlatform(degraded: string[]): void {
    this.banner.hidden = degraded.length === 0;
    this.banner.textContent =
      degraded.length === 0
        ? ''
        : `${t('degraded')}: ${degraded.map((r) => t.of('degraded_', r)).join(', ')}. ${t(
            this.fallback === 'configured' ? 'degradedFallback' : 'degradedNoFallback',
          )}`;
  }

  private renderSoundButton(): void {
    this.soundButton.textContent = this.sound.enabled ? t('soundOn') : t('soundOff');
  }
}
