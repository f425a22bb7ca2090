import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import type { CardInput, CardView, Contact } from './api.ts';
import { rt } from './strings.ts';

const MAX_CONTACTS = 6;

export interface CardFormActions {
  save(input: CardInput): Promise<CardView>;
  saved(view: CardView): void;
  cancel(): void | Promise<void>;
}

let formSeq = 0;
let rowSeq = 0;

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

/** A contact row being edited; `id` is the row's own, stable while rows before it are removed. */
interface ContactRow {
  id: string;
  name: string;
  relation: string;
  phone: string;
}

const rowOf = (k?: Contact): ContactRow => ({
  id: `row-${++rowSeq}`,
  name: k?.name ?? '',
  relation: k?.relation ?? '',
  phone: k?.phone ?? '',
});

/** A label, an optional hint the input is described by, and the input. */
function Field(p: { id: string; label: string; hint?: string | undefined; children: ComponentChildren }) {
  return (
    <>
      <label for={p.id}>{p.label}</label>
      {p.hint ? (
        <span class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </span>
      ) : null}
      {p.children}
    </>
  );
}

const typed = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value;

/**
 * The card's edit form. The key-box code is never filled in from the server: empty keeps the code
 * on file, a new value replaces it, the box removes it. Contacts are called in the order listed; they
 * are a keyed list, each row keyed by its own id, so removing one keeps what is typed in the others.
 */
export function CardForm({ view, save, saved, cancel }: { view: CardView } & CardFormActions) {
  const [id] = useState(() => `card-${++formSeq}`);
  const c = view.card;
  const [lines, setLines] = useState(c?.address.lines.join('\n') ?? '');
  const [postcode, setPostcode] = useState(c?.address.postcode ?? '');
  const [city, setCity] = useState(c?.address.city ?? '');
  const [keyBoxLocation, setKeyBoxLocation] = useState(c?.keyBoxLocation ?? '');
  const [newCode, setNewCode] = useState('');
  const [removeCode, setRemoveCode] = useState(false);
  const [notes, setNotes] = useState(c?.accessNotes ?? '');
  const [citizenPhone, setCitizenPhone] = useState(c?.citizenPhone ?? '');
  const [rows, setRows] = useState<ContactRow[]>(() => (c?.contacts ?? []).map(rowOf));
  const [error, setError] = useState('');
  const [focus, setFocus] = useState<'first' | 'add' | string | null>('first');
  const formRef = useRef<HTMLFormElement>(null);
  const addRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!focus) return;
    if (focus === 'first') formRef.current?.querySelector('textarea')?.focus();
    else if (focus === 'add') addRef.current?.focus();
    else (formRef.current?.querySelector(`#${id}-${focus}-name`) as HTMLInputElement | null)?.focus();
    setFocus(null);
  }, [focus, id]);

  const setRow = (rowId: string, key: 'name' | 'relation' | 'phone', value: string) =>
    setRows((all) => all.map((r) => (r.id === rowId ? { ...r, [key]: value } : r)));
  const text = (v: string) => (v.trim() ? v.trim() : null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const entry: CardInput['entry'] = { keyBoxLocation: text(keyBoxLocation) };
    if (removeCode) entry.keyBoxCode = null;
    else if (newCode.trim()) entry.keyBoxCode = newCode.trim();
    const input: CardInput = {
      address: {
        lines: lines
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
        postcode: postcode.trim(),
        city: city.trim(),
      },
      entry,
      expectedUpdatedAt: c?.updatedAt ?? null,
      accessNotes: text(notes),
      citizenPhone: text(citizenPhone),
      contacts: rows
        .filter((r) => r.name.trim() || r.phone.trim())
        .map((r, i) => ({
          name: r.name.trim(),
          relation: r.relation.trim(),
          phone: r.phone.trim(),
          priority: i + 1,
        })),
    };
    try {
      saved(await save(input));
    } catch (err) {
      setError(refusal(err));
    }
  };

  const f = (name: string) => `${id}-${name}`;
  const hinted = (name: string) => ({ id: f(name), 'aria-describedby': `${f(name)}-hint` });
  return (
    <form ref={formRef} class="card-form" aria-label={rt('formLabel')} onSubmit={(e) => void submit(e)}>
      <Field id={f('lines')} label={rt('addressLines')}>
        <textarea
          id={f('lines')}
          name="lines"
          rows={3}
          maxLength={320}
          value={lines}
          onInput={(e) => setLines(typed(e))}
        />
      </Field>
      <Field id={f('postcode')} label={rt('postcode')}>
        <input
          id={f('postcode')}
          name="postcode"
          inputMode="numeric"
          autocomplete="off"
          maxLength={4}
          value={postcode}
          onInput={(e) => setPostcode(typed(e))}
        />
      </Field>
      <Field id={f('city')} label={rt('city')}>
        <input id={f('city')} name="city" maxLength={60} value={city} onInput={(e) => setCity(typed(e))} />
      </Field>
      <Field id={f('keyBoxLocation')} label={rt('keyBoxLocation')}>
        <input
          id={f('keyBoxLocation')}
          name="keyBoxLocation"
          maxLength={200}
          value={keyBoxLocation}
          onInput={(e) => setKeyBoxLocation(typed(e))}
        />
      </Field>
      <Field id={f('newCode')} label={rt('newCode')} hint={rt('newCodeHint')}>
        <input
          {...hinted('newCode')}
          name="newCode"
          autocomplete="off"
          maxLength={20}
          value={newCode}
          onInput={(e) => setNewCode(typed(e))}
        />
      </Field>
      {c?.hasKeyBoxCode ? (
        <div class="check">
          <input
            type="checkbox"
            id={f('removeCode')}
            checked={removeCode}
            onChange={(e) => setRemoveCode((e.currentTarget as HTMLInputElement).checked)}
          />
          <label for={f('removeCode')}>{rt('removeCode')}</label>
        </div>
      ) : null}
      <Field id={f('accessNotes')} label={rt('accessNotesLabel')}>
        <textarea
          id={f('accessNotes')}
          name="accessNotes"
          rows={3}
          maxLength={1000}
          value={notes}
          onInput={(e) => setNotes(typed(e))}
        />
      </Field>
      <Field id={f('citizenPhone')} label={rt('citizenPhone')} hint={rt('phoneHint')}>
        <input
          {...hinted('citizenPhone')}
          name="citizenPhone"
          type="tel"
          autocomplete="off"
          maxLength={25}
          value={citizenPhone}
          onInput={(e) => setCitizenPhone(typed(e))}
        />
      </Field>
      <fieldset class="contacts">
        <legend>{rt('contacts')}</legend>
        <div class="contact-list">
          {rows.map((row, i) => {
            const n = i + 1;
            const rf = (k: string) => f(`${row.id}-${k}`);
            return (
              <fieldset key={row.id} class="contact">
                <legend>{rt('contactN', { n })}</legend>
                <Field id={rf('name')} label={rt('name')}>
                  <input
                    id={rf('name')}
                    name={`contact-${n}-name`}
                    maxLength={100}
                    autocomplete="off"
                    value={row.name}
                    onInput={(e) => setRow(row.id, 'name', typed(e))}
                  />
                </Field>
                <Field id={rf('relation')} label={rt('relation')}>
                  <input
                    id={rf('relation')}
                    name={`contact-${n}-relation`}
                    maxLength={60}
                    autocomplete="off"
                    value={row.relation}
                    onInput={(e) => setRow(row.id, 'relation', typed(e))}
                  />
                </Field>
                <Field id={rf('phone')} label={rt('phone')} hint={rt('phoneHint')}>
                  <input
                    id={rf('phone')}
                    aria-describedby={`${rf('phone')}-hint`}
                    name={`contact-${n}-phone`}
                    type="tel"
                    maxLength={25}
                    autocomplete="off"
                    value={row.phone}
                    onInput={(e) => setRow(row.id, 'phone', typed(e))}
                  />
                </Field>
                <div class="actions">
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => {
                      setRows((all) => all.filter((r) => r.id !== row.id));
                      setFocus('add');
                    }}
                  >
                    {rt('removeContact', { n })}
                  </button>
                </div>
              </fieldset>
            );
          })}
        </div>
        <button
          ref={addRef}
          type="button"
          class="secondary"
          hidden={rows.length >= MAX_CONTACTS}
          onClick={() => {
            const row = rowOf();
            setRows((all) => [...all, row]);
            setFocus(row.id);
          }}
        >
          {rt('addContact')}
        </button>
      </fieldset>
      <p role="alert" class="error">
        {error}
      </p>
      <div class="actions">
        <button type="submit">{rt('save')}</button>
        <button type="button" class="secondary" onClick={() => void cancel()}>
          {rt('cancel')}
        </button>
      </div>
    </form>
  );
}
