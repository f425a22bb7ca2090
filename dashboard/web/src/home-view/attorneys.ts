import { api } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { currentLang, formatTime } from '../i18n.ts';
import { section } from '../messages/index.ts';
import { el } from './dom.ts';

interface PowerOfAttorney {
  id: number;
  relative: { id: string; displayName: string | null };
  reference: string;
  verifiedAt: number;
  revokedAt: number | null;
}

/** Words of this part (the catalog's `attorneys` section). */
const tt = section('attorneys');

/**
 * Staff record a relative's power of attorney after seeing the document, and revoke it; the list
 * keeps revoked ones, marked. Shown only to those the server lets record (staff of the team, admins).
 */
export async function attorneySection(homeId: string): Promise<HTMLElement | null> {
  let powers: PowerOfAttorney[];
  try {
    const answer: { powersOfAttorney: PowerOfAttorney[] } = await api(
      'get',
      '/api/homes/{homeId}/powers-of-attorney',
      { path: { homeId } },
    );
    powers = answer.powersOfAttorney;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
  const section = el('section', { 'aria-labelledby': 'attorneys-title', className: 'panel-section' });
  const status = el('p', { role: 'status' });
  const list = el('ul', { className: 'attorneys' });
  const draw = () => {
    list.replaceChildren(
      ...(powers.length === 0
        ? [el('li', {}, tt('none'))]
        : powers.map((p) =>
            el(
              'li',
              {},
              `${p.relative.displayName ?? p.relative.id} – ${p.reference} (${tt('since')} ${formatTime(p.verifiedAt)}${p.revokedAt ? `, ${tt('revoked')} ${formatTime(p.revokedAt)}` : ''}) `,
              p.revokedAt
                ? null
                : el(
                    'button',
                    {
                      type: 'button',
                      className: 'secondary',
                      'aria-label': `${tt('revoke')}: ${p.relative.displayName ?? p.relative.id}`,
                      onclick: async () => {
                        try {
                          await api('delete', '/api/homes/{homeId}/powers-of-attorney/{id}', {
                            path: { homeId, id: String(p.id) },
                          });
                          p.revokedAt = Date.now();
                          status.textContent = tt('revokedDone');
                          draw();
                        } catch {
                          status.textContent = tt('failed');
                        }
                      },
                    },
                    tt('revoke'),
                  ),
            ),
          )),
    );
  };
  const username = el('input', {
    id: 'attorney-username',
    name: 'username',
    required: true,
    autocomplete: 'off',
  });
  const reference = el('input', {
    id: 'attorney-reference',
    name: 'reference',
    required: true,
    maxLength: 200,
  });
  const form = el(
    'form',
    { className: 'attorney-form', 'aria-label': tt('record') },
    el('label', { htmlFor: username.id }, tt('username')),
    username,
    el('label', { htmlFor: reference.id }, tt('reference')),
    reference,
    el('div', { className: 'actions' }, el('button', { type: 'submit' }, tt('record'))),
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const answer: { powerOfAttorney: PowerOfAttorney } = await api(
        'post',
        '/api/homes/{homeId}/powers-of-attorney',
        {
          path: { homeId },
          body: { relativeUsername: username.value, reference: reference.value },
        },
      );
      const { powerOfAttorney } = answer;
      powers = [...powers, powerOfAttorney];
      form.reset();
      status.textContent = tt('saved');
      draw();
    } catch (err) {
      const code = err instanceof ApiError ? err.status : 0;
      status.textContent = code === 404 ? tt('unknown') : code === 409 ? tt('exists') : tt('failed');
    }
  };
  draw();
  section.append(
    el('h3', { id: 'attorneys-title' }, tt('title')),
    el('p', {}, tt('intro')),
    list,
    form,
    status,
  );
  return section;
}
