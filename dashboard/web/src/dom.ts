/** The one DOM helper of the web app. */
/** Builds an element: DOM properties, `aria-*`/`data-*`/`role` as attributes, children appended. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {},
  ...children: Array<Node | string | null | false>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k.startsWith('aria-') || k.startsWith('data-') || k === 'role') node.setAttribute(k, String(v));
    else (node as unknown as Record<string, unknown>)[k] = v;
  }
  for (const child of children) if (child !== null && child !== false) node.append(child);
  return node;
}
