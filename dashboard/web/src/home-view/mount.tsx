import { useLayoutEffect, useRef } from 'preact/hooks';

/**
 * A part still built as DOM (a chart's SVG, a section shared with another page) placed in a Preact
 * tree: Preact owns the host element, the part owns what is inside it.
 */
export function Mount({ node, class: className }: { node: Node; class?: string }) {
  const host = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    host.current?.replaceChildren(node);
  }, [node]);
  return <div ref={host} class={className} />;
}
