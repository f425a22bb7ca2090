import { el } from '../dom.ts';
import { errorText as wordsForError } from '../errors.ts';
import { ta } from './strings.ts';

let seq = 0;

/** A labelled input; the id is unique on the page so every label points at its own field. */
export function field(
  label: string,
  input: HTMLInputElement | HTMLSelectElement,
  name: string,
): { row: HTMLElement; input: typeof input } {
  input.id ||= `adm-${name}-${++seq}`;
  input.name = name;
  return { row: el('div', { className: 'field' }, el('label', { htmlFor: input.id }, label), input), input };
}

export function select(options: Array<[string, string]>, value = ''): HTMLSelectElement {
  const s = el('select', {});
  for (const [v, text] of options) s.append(el('option', { value: v, selected: v === value }, text));
  return s;
}

/** A group of checkboxes, one per team, in a fieldset with a legend. */
export function teamBoxes(
  teams: Array<{ id: string; name: string }>,
  chosen: readonly string[],
): { set: HTMLFieldSetElement; value(): string[] } {
  const boxes = teams.map((team) => {
    const box = el('input', {
      type: 'checkbox',
      value: team.id,
      checked: chosen.includes(team.id),
      id: `adm-team-${++seq}`,
    });
    return {
      box,
      row: el('div', { className: 'check' }, box, el('label', { htmlFor: box.id }, team.name)),
    };
  });
  const set = el(
    'fieldset',
    {},
    el('legend', {}, ta('teams')),
    ...(boxes.length ? boxes.map((b) => b.row) : [ta('noTeams')]),
  );
  return { set, value: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value) };
}

/** What went wrong, in the catalog's words (errors.ts), with a 400's fields named as the form names them. */
export function errorText(err: unknown, labels: Record<string, string> = {}): string {
  return wordsForError(err, labels);
}

/** A message line read out by screen readers: `role=alert` for errors, `status` for success. */
export function messageLine(): {
  node: HTMLParagraphElement;
  ok(text: string): void;
  error(text: string): void;
} {
  const node = el('p', { className: 'form-message', 'aria-live': 'polite' });
  return {
    node,
    ok(text) {
      node.className = 'form-message';
      node.setAttribute('role', 'status');
      node.textContent = text;
    },
    error(text) {
      node.className = 'form-message error';
      node.setAttribute('role', 'alert');
      node.textContent = text;
    },
  };
}
