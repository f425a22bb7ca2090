import { ApiError } from '../api.ts';
import { el } from '../dom.ts';
import { formatTime } from '../i18n.ts';
import { type CardInput, type CardView, displayPhone, getCard, revealKeyBoxCode, saveCard } from './api.ts';
import { cardForm } from './card-form.ts';
import { rt } from './strings.ts';

export interface CardSectionOptions {
  /** the section's heading level: h3 on the staff pages, h2 on the citizen's page */
  level: 'h2' | 'h3';
  /** the citizen's own page: words addressed to them */
  citizen?: boolean;
}

/** A one-tap call: a large link to `tel:`, the number written out beside the name. */
function callLink(label: string, phone: string): HTMLElement {
  return el(
    'li',
    {},
    el(
      'a',
      { className: 'call', href: `tel:${phone}` },
      el('span', { className: 'call-who' }, label),
      el('span', { className: 'call-number' }, displayPhone(phone)),
    ),
  );
}

/**
 * The responder's card of a home (issue 11 point 1, issue 13 point 3): the address, how to get in,
 * one-tap calls to the citizen and each contact in order, and for those who may, an edit form. The
 * key-box code is fetched only when asked for, as its own audited read.
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
  const sub = o.level === 'h2' ? 'h3' : 'h4';
  const section = el('section', {
    className: 'panel-section responder-card',
    'aria-labelledby': 'responder-card-title',
    'data-home-label': view.homeLabel,
  });
  if (o.level === 'h2') section.classList.add('citizen-section');
  const status = el('p', { role: 'status', className: 'card-status' });

  const draw = (message = '') => {
    const c = view.card;
    const parts: Array<HTMLElement | null> = [
      el(o.level, { id: 'responder-card-title' }, rt('title')),
      el('p', {}, rt(o.citizen ? 'citizenIntro' : 'intro')),
    ];
    if (!c) parts.push(el('p', { className: 'empty' }, rt(o.citizen ? 'noneCitizen' : 'none')));
    else {
      if (c.detailsErasedAt)
        parts.push(el('p', { className: 'notice' }, rt('erased', { when: formatTime(c.detailsErasedAt) })));
      parts.push(
        el(sub, {}, rt('address')),
        el(
          'address',
          { className: 'card-address' },
          ...[...c.address.lines, `${c.address.postcode} ${c.address.city}`].flatMap((l, i) =>
            i === 0 ? [l] : [el('br'), l],
          ),
        ),
      );
      if (view.scope === 'address') parts.push(el('p', { className: 'muted' }, rt('addressOnly')));
      else {
        const phones: HTMLElement[] = [];
        if (c.citizenPhone) phones.push(callLink(rt('callCitizen'), c.citizenPhone));
        for (const k of c.contacts ?? [])
          phones.push(callLink(rt('callContact', { name: k.name, relation: k.relation }), k.phone));
        parts.push(
          el(sub, {}, rt('call')),
          phones.length
            ? el('ul', { className: 'calls' }, ...phones)
            : el('p', { className: 'empty' }, rt('noPhones')),
          el(sub, {}, rt('entry')),
          el('p', {}, el('strong', {}, `${rt('keyBox')}: `), c.keyBoxLocation ?? rt('noKeyBox')),
          c.hasKeyBoxCode && view.mayRevealKeyBoxCode ? codeReveal(homeId) : null,
          el('p', {}, el('strong', {}, `${rt('accessNotes')}: `), c.accessNotes ?? rt('noNotes')),
        );
      }
      parts.push(
        el(
          'p',
          { className: 'muted' },
          rt('updated', {
            when: formatTime(c.updatedAt),
            who: rt.of('role_', c.updatedByRole),
          }),
        ),
      );
    }
    if (view.mayEdit) {
      const button = el(
        'button',
        { type: 'button', className: 'secondary', 'aria-expanded': 'false' },
        rt(c ? 'edit' : 'create'),
      );
      button.onclick = () => {
        const form = cardForm(view, {
          save: (input: CardInput) => saveCard(homeId, input),
          saved: (next) => {
            view = next;
            draw(rt('saved'));
            (section.querySelector('.card-status') as HTMLElement | null)?.focus();
          },
          cancel: async () => {
            // read again: someone may have changed the card meanwhile (a refused save says so)
            view = await getCard(homeId).catch(() => view);
            draw();
            (section.querySelector('.actions button') as HTMLButtonElement | null)?.focus();
          },
        });
        button.replaceWith(form);
        form.querySelector('textarea')?.focus();
      };
      parts.push(el('div', { className: 'actions' }, button));
    }
    status.textContent = message;
    status.tabIndex = -1;
    section.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null), status);
  };
  draw();
  return section;
}

/** "Vis nøgleboks-kode": the code only on an explicit tap, which the server records as its own read. */
function codeReveal(homeId: string): HTMLElement {
  const out = el('p', { className: 'key-code', 'aria-live': 'polite' });
  const button = el('button', { type: 'button', className: 'secondary' }, rt('showCode'));
  button.onclick = async () => {
    try {
      const { keyBoxCode } = await revealKeyBoxCode(homeId);
      out.replaceChildren(keyBoxCode ? rt('codeIs', { code: keyBoxCode }) : rt('noCode'));
      if (keyBoxCode) out.classList.add('shown');
    } catch {
      out.textContent = rt('codeFailed');
    }
  };
  return el(
    'div',
    { className: 'code-reveal' },
    button,
    el('p', { className: 'muted' }, rt('codeAudited')),
    out,
  );
}
