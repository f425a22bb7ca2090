import { type Alert, acknowledge, openAlerts, resolve } from './api.ts';
import { formatTime, t } from './i18n.ts';
import { LiveFeed } from './live.ts';

const RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const STATE_RANK: Record<string, number> = { open: 0, acknowledged: 1, resolved: 2 };
const OUTCOMES = ['real_incident', 'false_alarm', 'no_action_needed', 'technical_fault'];

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('aria-') || k.startsWith('data-')) node.setAttribute(k, String(v));
    else (node as unknown as Record<string, unknown>)[k] = v;
  }
  node.append(...children);
  return node;
}

/** What made the alert, in the reader's language, from the evidence's structured fields. */
function evidenceText(a: Alert): string {
  const th = a.evidence.thresholds;
  if (th && typeof th.since === 'number') {
    return `${t('noMotionSince')} ${formatTime(th.since)} (${t('limit')} ${th.minutes} min, ${t('window')} ${th.window})`;
  }
  const r = a.evidence.readings?.[0];
  if (r) return `${t('sensor')} ${r.deviceId} · ${formatTime(r.ts)}`;
  return a.evidence.summary;
}

/** The staff alert board: live, sorted by severity then age, keyboard-usable. */
export class AlertBoard {
  private readonly alerts = new Map<string, Alert>();
  private readonly feed: LiveFeed;
  private resolving: string | null = null;
  private readonly list = el('ul', { className: 'alerts', 'aria-label': t('alerts') });
  private readonly empty = el('p', { className: 'empty' }, t('noAlerts'));
  private soundOn = localStorage.getItem('tryghed.sound') !== 'off';

  constructor(
    private readonly root: HTMLElement,
    private readonly connection: HTMLElement,
    private readonly soundButton: HTMLButtonElement,
    private readonly announcer: HTMLElement,
    private readonly banner: HTMLElement,
  ) {
    this.feed = new LiveFeed({
      onHello: (_seq, resumed) => {
        if (!resumed) void this.load();
      },
      onAlert: (event, alert) => this.apply(event, alert),
      onConnection: (up) => this.showConnection(up),
      onPlatform: (degraded) => this.showPlatform(degraded),
    });
  }

  start(): void {
    this.root.replaceChildren(el('h2', {}, t('alerts')), this.empty, this.list);
    this.soundButton.hidden = false;
    this.soundButton.onclick = () => {
      this.soundOn = !this.soundOn;
      localStorage.setItem('tryghed.sound', this.soundOn ? 'on' : 'off');
      this.renderSoundButton();
    };
    this.renderSoundButton();
    this.feed.start();
  }

  stop(): void {
    this.feed.stop();
    this.showPlatform([]);
  }

  private async load(): Promise<void> {
    const { alerts } = await openAlerts();
    for (const a of alerts) this.merge(a);
    this.render();
    this.showLinked();
  }

  /** a notifier's link (`/?alert=<id>`) opens the board with that alert in view and focused */
  private showLinked(): void {
    const id = new URLSearchParams(location.search).get('alert');
    if (!id) return;
    const card = this.list.querySelector<HTMLElement>(`[data-alert-id="${CSS.escape(id)}"]`);
    if (!card) return;
    card.tabIndex = -1;
    card.classList.add('linked');
    card.scrollIntoView({ block: 'center' });
    card.focus();
  }

  /** keeps whichever version is further along, so a late snapshot never undoes a live event */
  private merge(alert: Alert): void {
    const current = this.alerts.get(alert.id);
    if (
      current &&
      (STATE_RANK[current.state]! > STATE_RANK[alert.state]! ||
        (current.state === alert.state && current.repeats > alert.repeats))
    ) {
      return;
    }
    this.alerts.set(alert.id, alert);
  }

  private apply(event: string, alert: Alert): void {
    this.merge(alert);
    if (event === 'opened') {
      this.announcer.textContent = `${t('newAlert')}: ${t(`rule_${alert.rule}`)}, ${alert.homeLabel}`;
      if (alert.severity === 'critical') this.beep();
    } else if (event === 'escalated') {
      this.announcer.textContent = `${t(`escalated_${Math.min(alert.escalationLevel, 2)}`)}: ${t(`rule_${alert.rule}`)}, ${alert.homeLabel}`;
      this.beep();
    }
    this.render();
  }

  private render(): void {
    const visible = [...this.alerts.values()]
      .filter((a) => a.state !== 'resolved')
      .sort((a, b) => RANK[a.severity]! - RANK[b.severity]! || a.openedAt - b.openedAt);
    this.empty.hidden = visible.length > 0;
    const focused = document.activeElement?.getAttribute('data-focus-key');
    this.list.replaceChildren(...visible.map((a) => this.card(a)));
    if (focused)
      (this.list.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
  }

  private card(a: Alert): HTMLLIElement {
    const title = `${t(`rule_${a.rule}`)} – ${a.homeLabel}`;
    // escalated and still not taken on: every team member's board shows it prominently
    const escalated = a.state === 'open' && a.escalationLevel > 0;
    const item = el(
      'li',
      {
        className: `alert ${a.severity} ${a.state}${escalated ? ' escalated' : ''}`,
        'data-alert-id': a.id,
      },
      el('h3', {}, title),
      escalated ? el('p', { className: 'escalation' }, t(`escalated_${Math.min(a.escalationLevel, 2)}`)) : '',
      el(
        'p',
        { className: 'meta' },
        el('span', { className: `badge ${a.severity}` }, t(`severity_${a.severity}`)),
        ` ${t(`state_${a.state}`)} · ${t('opened')} ${formatTime(a.openedAt)}`,
        a.repeats > 0 ? ` · ${t('repeats')} ${a.repeats} ${t('times')}` : '',
      ),
      el('p', { className: 'meta' }, evidenceText(a)),
    );
    const actions = el('div', { className: 'actions' });
    if (a.state === 'open') {
      actions.append(
        el(
          'button',
          {
            type: 'button',
            'data-focus-key': `ack-${a.id}`,
            onclick: () => void this.act(() => acknowledge(a.id)),
          },
          t('acknowledge'),
        ),
      );
    }
    actions.append(
      el(
        'button',
        {
          type: 'button',
          className: 'secondary',
          'data-focus-key': `res-${a.id}`,
          'aria-expanded': String(this.resolving === a.id),
          onclick: () => this.toggleResolve(a.id),
        },
        t('resolve'),
      ),
    );
    item.append(actions);
    if (this.resolving === a.id) item.append(this.resolveForm(a));
    return item;
  }

  private resolveForm(a: Alert): HTMLFormElement {
    const select = el('select', { id: `outcome-${a.id}`, name: 'outcome', required: true });
    for (const o of OUTCOMES) select.append(el('option', { value: o }, t(`outcome_${o}`)));
    const note = el('textarea', { id: `note-${a.id}`, name: 'note', rows: 2, maxLength: 2000 });
    const form = el(
      'form',
      { className: 'resolve-form' },
      el('label', { htmlFor: select.id }, t('outcome')),
      select,
      el('label', { htmlFor: note.id }, t('note')),
      note,
      el(
        'div',
        { className: 'actions' },
        el('button', { type: 'submit' }, t('save')),
        el(
          'button',
          { type: 'button', className: 'secondary', onclick: () => this.toggleResolve(a.id) },
          t('cancel'),
        ),
      ),
    );
    form.onsubmit = (e) => {
      e.preventDefault();
      this.resolving = null;
      void this.act(() => resolve(a.id, select.value, note.value));
    };
    queueMicrotask(() => select.focus());
    return form;
  }

  private toggleResolve(id: string): void {
    this.resolving = this.resolving === id ? null : id;
    this.render();
  }

  private async act(action: () => Promise<{ alert: Alert }>): Promise<void> {
    try {
      const { alert } = await action();
      this.merge(alert);
      this.render();
    } catch (err) {
      this.announcer.textContent = `${t('failed')}: ${(err as Error).message}`;
    }
  }

  private showConnection(up: boolean): void {
    this.connection.hidden = false;
    this.connection.className = `connection ${up ? 'up' : 'down'}`;
    this.connection.textContent = up ? `● ${t('connected')}` : `○ ${t('disconnected')}`;
  }

  /** a banner while the platform is degraded: the board alone cannot be trusted then */
  private showPlatform(degraded: string[]): void {
    this.banner.hidden = degraded.length === 0;
    this.banner.textContent =
      degraded.length === 0
        ? ''
        : `${t('degraded')}: ${degraded.map((r) => t(`degraded_${r}`)).join(', ')}. ${t('degradedFallback')}`;
  }

  private renderSoundButton(): void {
    this.soundButton.textContent = this.soundOn ? t('soundOn') : t('soundOff');
    this.soundButton.setAttribute('aria-pressed', String(this.soundOn));
  }

  /** a short two-tone signal made in the browser: no sound file to load */
  private beep(): void {
    if (!this.soundOn) return;
    try {
      const audio = new AudioContext();
      for (const [i, freq] of [880, 660].entries()) {
        const osc = audio.createOscillator();
        osc.frequency.value = freq;
        osc.connect(audio.destination);
        osc.start(audio.currentTime + i * 0.25);
        osc.stop(audio.currentTime + i * 0.25 + 0.2);
      }
    } catch {
      // no audio on this device; the visual cue remains
    }
  }
}
