import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { el } from '../dom.ts';
import { formatTime } from '../i18n.ts';
import { type CardInput, type CardView, displayPhone, getCard, revealKeyBoxCode, saveCard } from './api.ts';
import { CardForm } from './card-form.tsx';
import { rt } from './strings.ts';

export interface CardSectionOptions {
  /** the section's heading level: h3 on the staff pages, h2 on the citizen's page */
  level: 'h2' | 'h3';
  /** the citizen's own page: words addressed to them */
  citizen?: boolean;
}

/** One number to call: who, and the number; keyed by its place in the calling order. */
interface Call {
  key: string;
  label: string;
  phone: string;
}

/** A one-tap call: a large link to `tel:`, the number written out beside the name. */
function CallLink({ label, phone }: { label: string; phone: string }) {
  return (
    <li>
      <a class="call" href={`tel:${phone}`}>
        <span class="call-who">{label}</span>
        <span class="call-number">{displayPhone(phone)}</span>
      </a>
    </li>
  );
}

/**
 * The responder's card of a home (issue 11 point 1, issue 13 point 3): the address, how to get in,
 * one-tap calls to the citizen and each contact in order, and for those who may, an edit form. The
 * key-box code is fetched only when asked for, as its own audited read. A Preact component; the
 * calls are a keyed list (the citizen, then each contact by its place in the calling order).
 */
export async function responderCardSection(
  homeId: string,
  o: CardSectionOptions,
): Promise<HTMLElement | null> {
  let view: CardView;
  try {
    view = await getCard(homeId);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
  const section = el('section', {
    className: 'panel-section responder-card',
    'aria-labelledby': 'responder-card-title',
    'data-home-label': view.homeLabel,
  });
  if (o.level === 'h2') section.classList.add('citizen-section');
  render(<CardSection homeId={homeId} initial={view} o={o} />, section);
  return section;
}

type Focus = 'status' | 'edit' | null;

function CardSection({ homeId, initial, o }: { homeId: string; initial: CardView; o: CardSectionOptions }) {
  const [view, setView] = useState(initial);
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState('');
  const [focus, setFocus] = useState<Focus>(null);
  const statusRef = useRef<HTMLParagraphElement>(null);
  const editRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (focus === 'status') statusRef.current?.focus();
    if (focus === 'edit') editRef.current?.focus();
    if (focus) setFocus(null);
  }, [focus]);

  const Heading = o.level;
  const Sub = o.level === 'h2' ? 'h3' : 'h4';
  const c = view.card;
  const calls: Call[] = [];
  if (c?.citizenPhone) calls.push({ key: 'citizen', label: rt('callCitizen'), phone: c.citizenPhone });
  for (const k of c?.contacts ?? [])
    calls.push({
      key: `contact-${k.priority}`,
      label: rt('callContact', { name: k.name, relation: k.relation }),
      phone: k.phone,
    });

  return (
    <>
      <Heading id="responder-card-title">{rt('title')}</Heading>
      <p>{rt(o.citizen ? 'citizenIntro' : 'intro')}</p>
      {!c ? (
        <p class="empty">{rt(o.citizen ? 'noneCitizen' : 'none')}</p>
      ) : (
        <>
          {c.detailsErasedAt ? (
            <p class="notice">{rt('erased', { when: formatTime(c.detailsErasedAt) })}</p>
          ) : null}
          <Sub>{rt('address')}</Sub>
          <address class="card-address">
            {[...c.address.lines, `${c.address.postcode} ${c.address.city}`].flatMap((l, i) =>
              i === 0 ? [l] : [<br key={`br-${i}`} />, l],
            )}
          </address>
          {view.scope === 'address' ? (
            <p class="muted">{rt('addressOnly')}</p>
          ) : (
            <>
              <Sub>{rt('call')}</Sub>
              {calls.length ? (
                <ul class="calls">
                  {calls.map((k) => (
                    <CallLink key={k.key} label={k.label} phone={k.phone} />
                  ))}
                </ul>
              ) : (
                <p class="empty">{rt('noPhones')}</p>
              )}
              <Sub>{rt('entry')}</Sub>
              <p>
                <strong>{`${rt('keyBox')}: `}</strong>
                {c.keyBoxLocation ?? rt('noKeyBox')}
              </p>
              {c.hasKeyBoxCode && view.mayRevealKeyBoxCode ? <CodeReveal homeId={homeId} /> : null}
              <p>
                <strong>{`${rt('accessNotes')}: `}</strong>
                {c.accessNotes ?? rt('noNotes')}
              </p>
            </>
          )}
          <p class="muted">
            {rt('updated', { when: formatTime(c.updatedAt), who: rt.of('role_', c.updatedByRole) })}
          </p>
        </>
      )}
      {view.mayEdit ? (
        editing ? (
          <CardForm
            view={view}
            save={(input: CardInput) => saveCard(homeId, input)}
            saved={(next) => {
              setView(next);
              setEditing(false);
              setMessage(rt('saved'));
              setFocus('status');
            }}
            cancel={async () => {
              // read again: someone may have changed the card meanwhile (a refused save says so)
              const next = await getCard(homeId).catch(() => view);
              setView(next);
              setEditing(false);
              setMessage('');
              setFocus('edit');
            }}
          />
        ) : (
          <div class="actions">
            <button
              ref={editRef}
              type="button"
              class="secondary"
              aria-expanded="false"
              onClick={() => {
                setMessage('');
                setEditing(true);
              }}
            >
              {rt(c ? 'edit' : 'create')}
            </button>
          </div>
        )
      ) : null}
      <p ref={statusRef} role="status" class="card-status" tabIndex={-1}>
        {message}
      </p>
    </>
  );
}

/** "Vis nøgleboks-kode": the code only on an explicit tap, which the server records as its own read. */
function CodeReveal({ homeId }: { homeId: string }) {
  const [out, setOut] = useState<{ text: string; shown: boolean }>({ text: '', shown: false });
  const reveal = async () => {
    try {
      const { keyBoxCode } = await revealKeyBoxCode(homeId);
      setOut(
        keyBoxCode
          ? { text: rt('codeIs', { code: keyBoxCode }), shown: true }
          : { text: rt('noCode'), shown: false },
      );
    } catch {
      setOut({ text: rt('codeFailed'), shown: false });
    }
  };
  return (
    <div class="code-reveal">
      <button type="button" class="secondary" onClick={() => void reveal()}>
        {rt('showCode')}
      </button>
      <p class="muted">{rt('codeAudited')}</p>
      <p class={out.shown ? 'key-code shown' : 'key-code'} aria-live="polite">
        {out.text}
      </p>
    </div>
  );
}
