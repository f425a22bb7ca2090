import { ApiError } from '../api.ts';
import { el } from '../dom.ts';
import type { CardInput, CardView, Contact } from './api.ts';
import { rt } from './strings.ts';

const MAX_CONTACTS = 6;

export interface CardFormActions {
  save(input: CardInput): Promise<CardView>;
  saved(view: CardView): void;
  cancel(): void | Promise<void>;
}

let formSeq = 0;

/** Why the server refused the card, in the reader's words, from the fields it named. */
function refusal(err: unknown): string {
  if (err instanceof ApiError && err.status === 409) return rt('conflict');
  if (!(err instanceof ApiError) || err.status !== 400) return rt('saveFailed');
  const issues = err.issues;
  const reasons = new Set(
    issues.map((i) => {
      if (/phone/i.test(i.path)) return rt('bad_phone');
      if (i.path.includes('postcode')) return rt('bad_postcode');
      if (i.path.includes('keyBoxCode')) return rt('bad_keyBoxCode');
      if (i.path === 'contacts') return rt('bad_priority');
      if (i.path.startsWith('address')) return rt('bad_address');
      return rt('bad_field', { field: i.path });
    }),
  );
  return reasons.size ? `${rt('invalid')} ${[...reasons].join('; ')}.` : rt('saveFailed');
}

/**
 * The card's edit form. The key-box code is never filled in from the server: empty keeps the code
 * on file, a new value replaces it, the box removes it. Contacts are called in the order listed.
 */
export function cardForm(view: CardView, actions: CardFormActions): HTMLFormElement {
  const id = `card-${++formSeq}`;
  const c = view.card;
  const field = (
    name: string,
    label: string,
    input: HTMLInputElement | HTMLTextAreaElement,
    hint?: string,
  ): HTMLElement[] => {
    input.id = `${id}-${name}`;
    input.name = name;
    const parts: HTMLElement[] = [el('label', { htmlFor: input.id }, label)];
    if (hint) {
      const hintEl = el('span', { className: 'hint', id: `${input.id}-hint` }, hint);
      input.setAttribute('aria-describedby', hintEl.id);
      parts.push(hintEl);
    }
    parts.push(input);
    return parts;
  };
  const lines = el('textarea', { rows: 3, maxLength: 320, value: c?.address.lines.join('\n') ?? '' });
  const postcode = el('input', {
    inputMode: 'numeric',
    autocomplete: 'off',
    maxLength: 4,
    value: c?.address.postcode ?? '',
  });
  const city = el('input', { maxLength: 60, value: c?.address.city ?? '' });
  const keyBoxLocation = el('input', { maxLength: 200, value: c?.keyBoxLocation ?? '' });
  const newCode = el('input', { autocomplete: 'off', maxLength: 20 });
  const removeCode = el('input', { type: 'checkbox' });
  const notes = el('textarea', { rows: 3, maxLength: 1000, value: c?.accessNotes ?? '' });
  const citizenPhone = el('input', {
    type: 'tel',
    autocomplete: 'off',
    maxLength: 25,
    value: c?.citizenPhone ?? '',
  });
  const contactList = el('div', { className: 'contact-list' });
  const status = el('p', { role: 'alert', className: 'error' });

  const contactRows: Array<{ name: HTMLInputElement; relation: HTMLInputElement; phone: HTMLInputElement }> =
    [];
  const addContactButton = el('button', { type: 'button', className: 'secondary' }, rt('addContact'));
  const drawContacts = () => {
    contactList.replaceChildren(
      ...contactRows.map((row, i) => {
        const n = i + 1;
        const remove = el('button', { type: 'button', className: 'secondary' }, rt('removeContact', { n }));
        remove.onclick = () => {
          contactRows.splice(i, 1);
          drawContacts();
          addContactButton.focus();
        };
        return el(
          'fieldset',
          { className: 'contact' },
          el('legend', {}, rt('contactN', { n })),
          ...field(`contact-${n}-name`, rt('name'), row.name),
          ...field(`contact-${n}-relation`, rt('relation'), row.relation),
          ...field(`contact-${n}-phone`, rt('phone'), row.phone, rt('phoneHint')),
          el('div', { className: 'actions' }, remove),
        );
      }),
    );
    addContactButton.hidden = contactRows.length >= MAX_CONTACTS;
  };
  const addRow = (k?: Contact) =>
    contactRows.push({
      name: el('input', { maxLength: 100, autocomplete: 'off', value: k?.name ?? '' }),
      relation: el('input', { maxLength: 60, autocomplete: 'off', value: k?.relation ?? '' }),
      phone: el('input', { type: 'tel', maxLength: 25, autocomplete: 'off', value: k?.phone ?? '' }),
    });
  for (const k of c?.contacts ?? []) addRow(k);
  addContactButton.onclick = () => {
    addRow();
    drawContacts();
    contactRows.at(-1)?.name.focus();
  };
  drawContacts();

  const text = (v: string) => (v.trim() ? v.trim() : null);
  const form = el(
    'form',
    { className: 'card-form', 'aria-label': rt('formLabel') },
    ...field('lines', rt('addressLines'), lines),
    ...field('postcode', rt('postcode'), postcode),
    ...field('city', rt('city'), city),
    ...field('keyBoxLocation', rt('keyBoxLocation'), keyBoxLocation),
    ...field('newCode', rt('newCode'), newCode, rt('newCodeHint')),
    c?.hasKeyBoxCode
      ? el(
          'div',
          { className: 'check' },
          removeCode,
          el('label', { htmlFor: `${id}-removeCode` }, rt('removeCode')),
        )
      : null,
    ...field('accessNotes', rt('accessNotesLabel'), notes),
    ...field('citizenPhone', rt('citizenPhone'), citizenPhone, rt('phoneHint')),
    el(
      'fieldset',
      { className: 'contacts' },
      el('legend', {}, rt('contacts')),
      contactList,
      addContactButton,
    ),
    status,
    el(
      'div',
      { className: 'actions' },
      el('button', { type: 'submit' }, rt('save')),
      el(
        'button',
        { type: 'button', className: 'secondary', onclick: () => void actions.cancel() },
        rt('cancel'),
      ),
    ),
  );
  removeCode.id = `${id}-removeCode`;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const entry: CardInput['entry'] = { keyBoxLocation: text(keyBoxLocation.value) };
    if (removeCode.checked) entry.keyBoxCode = null;
    else if (newCode.value.trim()) entry.keyBoxCode = newCode.value.trim();
    const input: CardInput = {
      address: {
        lines: lines.value
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
        postcode: postcode.value.trim(),
        city: city.value.trim(),
      },
      entry,
      expectedUpdatedAt: c?.updatedAt ?? null,
      accessNotes: text(notes.value),
      citizenPhone: text(citizenPhone.value),
      contacts: contactRows
        .filter((r) => r.name.value.trim() || r.phone.value.trim())
        .map((r, i) => ({
          name: r.name.value.trim(),
          relation: r.relation.value.trim(),
          phone: r.phone.value.trim(),
          priority: i + 1,
        })),
    };
    try {
      actions.saved(await actions.save(input));
    } catch (err) {
      status.textContent = refusal(err);
    }
  };
  return form;
}
