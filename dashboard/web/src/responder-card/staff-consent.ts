import { CATEGORY_TEXTS, PURPOSE_TEXTS } from '../../../../services/domain/shared/information-texts.ts';
import { api, type RequestBody } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { el } from '../dom.ts';
import { alertsState } from '../home-view/alerts-consent.ts';
import { currentLang } from '../i18n.ts';
import { textVersionText } from '../text-version.ts';
import { rt } from './strings.ts';

type Category = keyof typeof CATEGORY_TEXTS;
type Purpose = 'alerts' | 'history';

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

/** A group of radio buttons with a legend; the first is chosen. */
function radios<V extends string>(
  name: string,
  legend: string,
  values: readonly V[],
  label: (v: V) => string,
) {
  const inputs = values.map((v, i) =>
    el('input', { type: 'radio', name, value: v, id: `staff-consent-${name}-${v}`, checked: i === 0 }),
  );
  const group = el(
    'fieldset',
    { className: 'radios' },
    el('legend', {}, legend),
    ...inputs.map((input, i) =>
      el('div', { className: 'check' }, input, el('label', { htmlFor: input.id }, label(values[i]!))),
    ),
  );
  const checked = () => inputs.find((i) => i.checked)?.value;
  return { group, value: (): V => values.find((v) => v === checked()) ?? values[0]! };
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
  const lang = currentLang();
  const categories = Object.keys(CATEGORY_TEXTS) as Category[];
  const category = el(
    'select',
    { id: 'staff-consent-category', name: 'category' },
    ...categories.map((c) => el('option', { value: c }, CATEGORY_TEXTS[c].title[lang])),
  );
  const purpose = el(
    'select',
    { id: 'staff-consent-purpose', name: 'purpose' },
    ...(['alerts', 'history'] as const).map((p) => el('option', { value: p }, rt.of('purpose_', p))),
  );
  const action = radios('action', rt('action'), ['grant', 'withdraw'], (v) => rt.of('action_', v));
  const channel = radios('channel', rt('channel'), ['paper', 'phone', 'in_person'], (v) =>
    rt.of('channel_', v),
  );
  const basis = radios('basis', rt('basis'), ['paper_form', 'own_consent', 'municipal_decision'], (v) =>
    rt.of('basis_', v),
  );
  const reference = el('input', { id: 'staff-consent-reference', name: 'reference', maxLength: 200 });
  const reviewDue = el('input', { id: 'staff-consent-review', name: 'reviewDue', type: 'date' });
  const textBox = el('div', { className: 'info-text', 'aria-live': 'polite' });
  const status = el('p', { role: 'status', className: 'consent-status' });
  const text = () => PURPOSE_TEXTS[category.value as Category][purpose.value as Purpose];
  const drawText = () => {
    const t = text();
    textBox.replaceChildren(
      el('p', { className: 'muted' }, rt('textShown', { version: textVersionText(t.version) })),
      el('p', {}, el('strong', {}, t.title[lang])),
      el('p', {}, t.body[lang]),
    );
  };
  category.onchange = drawText;
  purpose.onchange = drawText;
  drawText();

  const form = el(
    'form',
    { className: 'staff-consent-form', 'aria-labelledby': 'staff-consent-title' },
    el('label', { htmlFor: category.id }, rt('category')),
    category,
    el('label', { htmlFor: purpose.id }, rt('purpose')),
    purpose,
    textBox,
    action.group,
    channel.group,
    basis.group,
    el('label', { htmlFor: reference.id }, rt('reference')),
    reference,
    el('label', { htmlFor: reviewDue.id }, rt('reviewDue')),
    reviewDue,
    el('div', { className: 'actions' }, el('button', { type: 'submit' }, rt('record'))),
    status,
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    const grant = action.value() === 'grant';
    const chosenBasis = basis.value();
    const body: RequestBody<'/api/homes/{homeId}/consent', 'post'> = {
      category: categories.find((c) => c === category.value) ?? categories[0]!,
      purpose: purpose.value === 'history' ? 'history' : 'alerts',
      action: action.value(),
      channel: channel.value(),
      textVersion: text().version,
    };
    if (grant) body.basis = chosenBasis;
    if (reference.value.trim()) body.reference = reference.value.trim();
    if (grant && chosenBasis === 'municipal_decision' && reviewDue.value) body.reviewDue = reviewDue.value;
    try {
      await api('post', '/api/homes/{homeId}/consent', { path: { homeId }, body });
      status.textContent = rt('recorded', {
        action: rt(grant ? 'action_grant' : 'action_withdraw').split(' ')[0]!,
        what: `${rt.of('purpose_', purpose.value as Purpose).toLowerCase()} (${CATEGORY_TEXTS[category.value as Category].title[lang].toLowerCase()})`,
      });
      reference.value = '';
      reviewDue.value = '';
      onChanged();
    } catch (err) {
      status.textContent = rt('refused', { reason: reason(err) });
    }
  };
  return el(
    'section',
    { 'aria-labelledby': 'staff-consent-title', className: 'panel-section staff-consent' },
    el('h3', { id: 'staff-consent-title' }, rt('consentTitle')),
    el('p', {}, rt('consentIntro')),
    form,
  );
}
