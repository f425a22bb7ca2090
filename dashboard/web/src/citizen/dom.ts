import { el } from '../dom.ts';

export { el };

/** A titled part of the page: a landmark with its own heading, for screen-reader navigation. */
export function section(id: string, title: string, ...children: Array<Node | null | false>): HTMLElement {
  return el(
    'section',
    { className: 'citizen-section', id, 'aria-labelledby': `${id}-title` },
    el('h2', { id: `${id}-title` }, title),
    ...children,
  );
}

/** A yes/no confirmation in place of the button that asked for it, focus moved to it. */
export function confirmInline(
  host: HTMLElement,
  question: string,
  yesLabel: string,
  noLabel: string,
  onYes: () => void,
): void {
  const restore = [...host.childNodes];
  const no = el('button', { type: 'button', className: 'secondary' }, noLabel);
  const yes = el('button', { type: 'button', className: 'danger' }, yesLabel);
  const box = el(
    'div',
    { className: 'confirm', role: 'group', 'aria-label': question },
    el('p', { className: 'confirm-question' }, question),
    el('div', { className: 'actions' }, yes, no),
  );
  no.onclick = () => {
    host.replaceChildren(...restore);
    (restore.find((n) => n instanceof HTMLButtonElement) as HTMLButtonElement | undefined)?.focus();
  };
  yes.onclick = () => {
    host.replaceChildren(...restore);
    onYes();
  };
  host.replaceChildren(box);
  yes.focus();
}
