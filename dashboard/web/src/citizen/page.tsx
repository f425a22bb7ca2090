import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type User } from '../api.ts';
import { Mount } from '../home-view/mount.tsx';
import { responderCardSection } from '../responder-card/card-section.tsx';
import { rt } from '../responder-card/strings.ts';
import * as api from './api.ts';
import { type ConsentChange, ConsentSection } from './consent-section.tsx';
import { ConfirmButton, Section } from './parts.tsx';
import { AccessSection, AlertsSection, ErasureList, HistorySection } from './records.tsx';
import { ct, local, sinceText } from './strings.ts';

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The citizen's page, and a relative's for the citizen they hold a power of attorney for: what is
 * measured and why, consent, alerts, who looked, export and erasure. A relative with several
 * powers of attorney first chooses the citizen. A Preact page; its lists are keyed.
 */
export class CitizenPage {
  constructor(
    private readonly root: HTMLElement,
    private readonly user: User,
  ) {}

  async start(): Promise<void> {
    let homes: api.HomeSummary[] = [];
    if (this.user.role !== 'citizen') homes = (await api.myHomes()).homes;
    // a tree of its own: the app replaces what is in `main` when it draws another page
    const host = document.createElement('div');
    this.root.replaceChildren(host);
    render(<Citizen user={this.user} homes={homes} />, host);
  }
}

interface Loaded {
  homeId: string;
  o: api.Overview;
  alerts: api.CitizenAlert[];
  access: api.AccessEntry[];
  erasures: api.ErasureRequest[];
}

type View = { is: 'loading' } | { is: 'failed' } | { is: 'shown'; data: Loaded };

function Citizen({ user, homes }: { user: User; homes: api.HomeSummary[] }) {
  const first = user.role === 'citizen' ? user.homeId : homes.length === 1 ? homes[0]!.id : null;
  const [homeId, setHomeId] = useState<string | null>(first);
  const [view, setView] = useState<View>({ is: 'loading' });
  const [message, setMessage] = useState('');
  /** the switch being saved (disabled until the page has the server's answer) */
  const [saving, setSaving] = useState<string | null>(null);
  const asked = useRef(0);

  /** reads everything again, keeping the chosen citizen; the page stays as it is meanwhile */
  const load = async (id: string, said = ''): Promise<void> => {
    const mine = ++asked.current;
    try {
      const [o, alerts, access, erasures] = await Promise.all([
        api.overview(id),
        api.homeAlerts(id),
        api.accessLog(id),
        api.erasures(id),
      ]);
      if (mine !== asked.current) return;
      setView({
        is: 'shown',
        data: { homeId: id, o, alerts: alerts.alerts, access: access.entries, erasures: erasures.requests },
      });
    } catch {
      if (mine === asked.current) setView({ is: 'failed' });
    }
    setMessage(said);
  };

  useEffect(() => {
    if (!homeId) return;
    setView({ is: 'loading' });
    setMessage('');
    void load(homeId);
  }, [homeId]);

  if (!homeId)
    return (
      <div class="panel citizen">
        <h2>{ct('chooseCitizen')}</h2>
        {homes.length === 0 ? (
          <p>{ct('noCitizens')}</p>
        ) : (
          <div>
            <p>{ct('chooseIntro')}</p>
            <ul class="choices">
              {homes.map((h) => (
                <li key={h.id}>
                  <button type="button" class="choice" onClick={() => setHomeId(h.id)}>
                    {h.label}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    );
  if (view.is === 'loading') return <p class="muted">{ct('loading')}</p>;
  if (view.is === 'failed')
    return (
      <p class="error" role="alert">
        {ct('loadFailed')}
      </p>
    );

  const change = async (changes: ConsentChange[], what: string) => {
    const one = changes.length === 1 ? changes[0]! : null;
    const switchId = one ? `consent-${one.category}-${one.purpose}` : null;
    setSaving(switchId);
    let said: string;
    try {
      let at = 0;
      for (const c of changes) at = (await api.changeConsent(homeId, c)).event.at;
      const single = one && what !== '' ? one : null;
      if (!single) said = ct('savedAll');
      else if (single.purpose === 'alerts')
        // what stops (or starts), from when, and how to undo it, in so many words
        said = ct(single.action === 'grant' ? 'savedGrantAlerts' : 'savedWithdrawAlerts', {
          what: capitalise(what),
          since: sinceText(at),
          when: ct.of('alertsWhen_', single.category),
        });
      else said = ct(single.action === 'grant' ? 'savedGrant' : 'savedWithdraw', { what });
    } catch (err) {
      // 409: the information text changed after the page showed it. Nothing was saved; the page
      // loads again with the current text, and the person decides on that one.
      said = ct(err instanceof ApiError && err.status === 409 ? 'textChanged' : 'saveFailed');
    }
    await load(homeId, said);
    setSaving(null);
    // keep the keyboard where the person was, once the switch is enabled again
    setTimeout(() => {
      const focus = switchId ? document.getElementById(switchId) : null;
      (focus ?? document.getElementById('citizen-status'))?.focus();
    }, 0);
  };
  const erase = () => {
    void api
      .requestErasure(homeId)
      .then(() => load(homeId, ct('erasureDone')))
      .catch(() => load(homeId, ct('eraseFailed')));
  };
  return (
    <Home
      user={user}
      data={view.data}
      message={message}
      saving={saving}
      switcher={homes.length > 1 ? () => setHomeId(null) : null}
      onChange={(changes, what) => void change(changes, what)}
      onErase={erase}
    />
  );
}

function Home({
  user,
  data,
  message,
  saving,
  switcher,
  onChange,
  onErase,
}: {
  user: User;
  data: Loaded;
  message: string;
  saving: string | null;
  switcher: (() => void) | null;
  onChange: (changes: ConsentChange[], what: string) => void;
  onErase: () => void;
}) {
  const { o, homeId } = data;
  const role = user.role;
  const titles = Object.fromEntries(o.categories.map((c) => [c.category, local(c.text.title)]));
  return (
    <div class="citizen">
      <h2 class="page-title">{role === 'relative' ? o.home.label : ct('yourHome')}</h2>
      <p class="lead">
        {role === 'relative' ? ct('relativeIntro', { name: o.home.label }) : ct('citizenIntro')}
      </p>
      {switcher ? (
        <button type="button" class="secondary" onClick={switcher}>
          {ct('switchCitizen')}
        </button>
      ) : null}
      <p class="status" role="status" id="citizen-status" tabIndex={-1}>
        {message}
      </p>
      <ConsentSection o={o} saving={saving} onChange={onChange} />
      <CardSlot key={homeId} homeId={homeId} citizen={role === 'citizen'} />
      <AlertsSection alerts={data.alerts} />
      <HistorySection entries={o.consentHistory} viewerRole={role} categoryTitles={titles} />
      <AccessSection entries={data.access} viewerRole={role} />
      <Section id="export" title={ct('exportTitle')}>
        <p>{ct('exportIntro')}</p>
        <div class="actions">
          <a class="button-link" href={api.exportUrl(homeId, 'json')} download="">
            {ct('exportJson')}
          </a>
          <a class="button-link" href={api.exportUrl(homeId, 'csv')} download="">
            {ct('exportCsv')}
          </a>
        </div>
      </Section>
      <Section id="erasure" title={ct('erasureTitle')}>
        <p>{ct('erasureIntro')}</p>
        <p>{ct('erasureNote')}</p>
        <p>{rt('erasureCard')}</p>
        <div class="actions">
          <ConfirmButton
            id="erase"
            label={ct('erase')}
            question={ct('eraseConfirm')}
            yesLabel={ct('eraseYes')}
            noLabel={ct('cancel')}
            onYes={onErase}
          />
        </div>
        <ErasureList requests={data.erasures} viewerRole={role} />
      </Section>
    </div>
  );
}

/** the responder's card (issue 11 point 1), shared with the staff pages, shown once it has loaded */
function CardSlot({ homeId, citizen }: { homeId: string; citizen: boolean }) {
  const [card, setCard] = useState<HTMLElement | null>(null);
  useEffect(() => {
    let gone = false;
    void responderCardSection(homeId, { level: 'h2', citizen })
      .catch(() => null)
      .then((section) => !gone && setCard(section));
    return () => {
      gone = true;
    };
  }, [homeId, citizen]);
  return card ? <Mount node={card} /> : <div class="card-slot" />;
}
