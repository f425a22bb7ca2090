import { render } from 'preact';
import { useState } from 'preact/hooks';
import { CATEGORY_TEXTS, PURPOSE_TEXTS } from '../../../../services/domain/shared/information-texts.ts';
import { api, type RequestBody } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { el } from '../dom.ts';
import { alertsState } from '../home-view/alerts-consent.ts';
import { currentLang } from '../i18n.ts';
import { textVersionText } from '../text-version.ts';
import { rt } from './strings.ts';

type Category = keyof typeof CATEGORY_TEXTS;
const PURPOSES = ['alerts', 'history', 'night_round'] as const;
type Purpose = (typeof PURPOSES)[number];
const ACTIONS = ['grant', 'withdraw'] as const;
const CHANNELS = ['paper', 'phone', 'in_person'] as const;
const BASES = ['paper_form', 'own_consent', 'municipal_decision'] as const;

/** The server's refusal, in the reader's words, from the field it named or its status. */
function reason(err: unknown): string {
  if (!(err instanceof ApiError)) return rt('reason_other');
  if (err.status === 403) return rt('reason_forbidden');
  const issue = err.issues[0];
  const path = issue?.path ?? '';
  if (path === 'textVersion') return rt('reason_text');
  if (path === 'channel') return rt('reason_channel');
  if (path === 'reference' && /belongs only/.test(issue?.message ?? '')) return rt('reason_referenceNotHere');
  if (path === 'reference' && /paper consent/.test(issue?.message ?? '')) return rt('reason_paperReference');
  if (path === 'reference') return rt('reason_reference');
  if (path === 'reviewDue') return rt('reason_reviewDue');
  if (path === 'basis') return rt('reason_basis');
  return rt('reason_other');
}

/** A group of radio buttons with a legend, keyed by value. */
function Radios<V extends string>(p: {
  name: string;
  legend: string;
  values: readonly V[];
  label: (v: V) => string;
  value: V;
  onChange: (v: V) => void;
}) {
  return (
    <fieldset class="radios">
      <legend>{p.legend}</legend>
      {p.values.map((v) => {
        const id = `staff-consent-${p.name}-${v}`;
        return (
          <div key={v} class="check">
            <input
              type="radio"
              name={p.name}
              value={v}
              id={id}
              checked={p.value === v}
              onChange={() => p.onChange(v)}
            />
            <label for={id}>{p.label(v)}</label>
          </div>
        );
      })}
    </fieldset>
  );
}

/**
 * Staff of the home's team record consent given on paper (with the form's reference), by phone or in
 * person, and a § 128 a decision (case reference, review date), through the same consent API and
 * rules as everyone else (issue 11 point 3). The information text and its version are shown, and
 * that version is what is recorded. Shown only to those who may (staff of the team, admins).
 */
export async function staffConsentSection(
  homeId: string,
  onChanged: () => void,
): Promise<HTMLElement | null> {
  if (!(await alertsState(homeId))) return null;
  const section = el('section', {
    'aria-labelledby': 'staff-consent-title',
    className: 'panel-section staff-consent',
  });
  render(<StaffConsent homeId={homeId} onChanged={onChanged} />, section);
  return section;
}

function StaffConsent({ homeId, onChanged }: { homeId: string; onChanged: () => void }) {
  const lang = currentLang();
  const categories = Object.keys(CATEGORY_TEXTS) as Category[];
  const [category, setCategory] = useState<Category>(categories[0]!);
  const [purpose, setPurpose] = useState<Purpose>('alerts');
  const [action, setAction] = useState<(typeof ACTIONS)[number]>('grant');
  const [channel, setChannel] = useState<(typeof CHANNELS)[number]>('paper');
  const [basis, setBasis] = useState<(typeof BASES)[number]>('paper_form');
  const [reference, setReference] = useState('');
  const [reviewDue, setReviewDue] = useState('');
  const [status, setStatus] = useState('');
  const text = PURPOSE_TEXTS[category][purpose];
  const typed = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;

  const submit = async (e: Event) => {
    e.preventDefault();
    const grant = action === 'grant';
    const body: RequestBody<'/api/homes/{homeId}/consent', 'post'> = {
      category,
      purpose,
      action,
      channel,
      textVersion: text.version,
    };
    if (grant) body.basis = basis;
    if (reference.trim()) body.reference = reference.trim();
    if (grant && basis === 'municipal_decision' && reviewDue) body.reviewDue = reviewDue;
    try {
      await api('post', '/api/homes/{homeId}/consent', { path: { homeId }, body });
      setStatus(
        rt('recorded', {
          action: rt(grant ? 'action_grant' : 'action_withdraw').split(' ')[0]!,
          what: `${rt.of('purpose_', purpose).toLowerCase()} (${CATEGORY_TEXTS[category].title[lang].toLowerCase()})`,
        }),
      );
      setReference('');
      setReviewDue('');
      onChanged();
    } catch (err) {
      setStatus(rt('refused', { reason: reason(err) }));
    }
  };

  return (
    <>
      <h3 id="staff-consent-title">{rt('consentTitle')}</h3>
      <p>{rt('consentIntro')}</p>
      <form class="staff-consent-form" aria-labelledby="staff-consent-title" onSubmit={(e) => void submit(e)}>
        <label for="staff-consent-category">{rt('category')}</label>
        <select
          id="staff-consent-category"
          name="category"
          value={category}
          onChange={(e) => setCategory(categories.find((c) => c === typed(e)) ?? categories[0]!)}
        >
          {categories.map((c) => (
            <option key={c} value={c}>
              {CATEGORY_TEXTS[c].title[lang]}
            </option>
          ))}
        </select>
        <label for="staff-consent-purpose">{rt('purpose')}</label>
        <select
          id="staff-consent-purpose"
          name="purpose"
          value={purpose}
          onChange={(e) => setPurpose(PURPOSES.find((p) => p === typed(e)) ?? 'alerts')}
        >
          {PURPOSES.map((p) => (
            <option key={p} value={p}>
              {rt.of('purpose_', p)}
            </option>
          ))}
        </select>
        <div class="info-text" aria-live="polite">
          <p class="muted">{rt('textShown', { version: textVersionText(text.version) })}</p>
          <p>
            <strong>{text.title[lang]}</strong>
          </p>
          <p>{text.body[lang]}</p>
        </div>
        <Radios
          name="action"
          legend={rt('action')}
          values={ACTIONS}
          label={(v) => rt.of('action_', v)}
          value={action}
          onChange={setAction}
        />
        <Radios
          name="channel"
          legend={rt('channel')}
          values={CHANNELS}
          label={(v) => rt.of('channel_', v)}
          value={channel}
          onChange={setChannel}
        />
        <Radios
          name="basis"
          legend={rt('basis')}
          values={BASES}
          label={(v) => rt.of('basis_', v)}
          value={basis}
          onChange={setBasis}
        />
        <label for="staff-consent-reference">{rt('reference')}</label>
        <input
          id="staff-consent-reference"
          name="reference"
          maxLength={200}
          value={reference}
          onInput={(e) => setReference(typed(e))}
        />
        <label for="staff-consent-review">{rt('reviewDue')}</label>
        <input
          id="staff-consent-review"
          name="reviewDue"
          type="date"
          value={reviewDue}
          onInput={(e) => setReviewDue(typed(e))}
        />
        <div class="actions">
          <button type="submit">{rt('record')}</button>
        </div>
        <p role="status" class="consent-status">
          {status}
        </p>
      </form>
    </>
  );
}
