import { ApiError } from '../api.ts';
import { el } from '../dom.ts';
import { changePassword } from './api.ts';
import { field, messageLine } from './form.ts';
import { ta } from './strings.ts';

/** After an administrator reset the password: the only thing the session may do is choose a new one. */
export function renderPasswordChange(main: HTMLElement, done: () => void): void {
  const current = field(
    ta('currentPassword'),
    el('input', { type: 'password', autocomplete: 'current-password', required: true }),
    'currentPassword',
  );
  const next = field(
    ta('newPassword'),
    el('input', { type: 'password', autocomplete: 'new-password', required: true, minLength: 8 }),
    'newPassword',
  );
  const again = field(
    ta('repeatPassword'),
    el('input', { type: 'password', autocomplete: 'new-password', required: true, minLength: 8 }),
    'repeatPassword',
  );
  const message = messageLine();
  const form = el(
    'form',
    { className: 'panel', 'aria-labelledby': 'change-title', noValidate: true },
    el('h2', { id: 'change-title' }, ta('changeTitle')),
    el('p', {}, ta('changeIntro')),
    current.row,
    next.row,
    again.row,
    message.node,
    el('button', { type: 'submit' }, ta('changeButton')),
  );
  form.onsubmit = async (e) => {
    e.preventDefault();
    const [c, n, a] = [current.input.value, next.input.value, again.input.value];
    if (n.length < 8) return message.error(ta('tooShort'));
    if (n !== a) return message.error(ta('notSame'));
    try {
      await changePassword(c, n);
      done();
    } catch (err) {
      const path = err instanceof ApiError ? err.issues[0]?.path : undefined;
      message.error(
        path === 'currentPassword'
          ? ta('wrongCurrent')
          : path === 'newPassword'
            ? ta('sameAsOld')
            : ta('failed'),
      );
    }
  };
  main.replaceChildren(form);
  (current.input as HTMLInputElement).focus();
}
