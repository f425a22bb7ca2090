import type { Page } from 'playwright-core';
import { catalog } from '../../../dashboard/web/src/messages/catalog.ts';

/** Every value of one language of the catalog, across its sections. */
function values(lang: 'da' | 'en'): string[] {
  return Object.values(catalog[lang]).flatMap((section) => Object.values(section as Record<string, string>));
}

/**
 * The pieces of English that appear only in the English catalog: each value cut at its `{name}`
 * placeholders, trimmed, kept when it has at least two words or one long word (so "Team" and
 * "Status", the same in both languages, are never counted) and when no Danish value holds it.
 */
export function englishOnlyFragments(): string[] {
  const danish = values('da');
  const fragments = new Set<string>();
  for (const text of values('en')) {
    for (const raw of text.split(/\{\w+\}/)) {
      const piece = raw.trim().replace(/^[\s:·–,.()]+|[\s:·–,.()]+$/g, '');
      const long = /\s/.test(piece) ? piece.length >= 8 : piece.length >= 9;
      if (!long || !/[A-Za-z]/.test(piece)) continue;
      if (danish.some((d) => d.includes(piece))) continue;
      fragments.add(piece);
    }
  }
  return [...fragments];
}

/**
 * What a person sees on the page: text of rendered elements (not code samples: a topic or a
 * command is a literal value) and the words read out for controls (aria-label, title, placeholder,
 * alt). One string per node, so a finding can be quoted.
 */
export function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const shown = (e: Element) =>
      e.closest('code, pre, script, style, template') === null &&
      (e instanceof HTMLOptionElement || e.checkVisibility({ visibilityProperty: true }));
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent?.trim();
      if (text && n.parentElement && shown(n.parentElement)) out.push(text);
    }
    for (const e of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')) {
      if (!shown(e)) continue;
      for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
        const v = e.getAttribute(a)?.trim();
        if (v) out.push(v);
      }
    }
    out.push(document.title);
    return out;
  });
}

/** `device_offline`, `no_action_needed`: an enumeration value shown as it is, not in words */
const RAW_CODE = /\b[a-z]+(?:_[a-z]+)+\b/;

/**
 * What is not Danish on a Danish page: a piece of the English catalog, one of `ids` (of things that
 * have a name: a home, a team, a user), or a raw code. Each finding quotes the text it was found in.
 */
export function languageFindings(texts: string[], english: string[], ids: string[]): string[] {
  const findings: string[] = [];
  for (const text of texts) {
    for (const piece of english) if (text.includes(piece)) findings.push(`English "${piece}" in "${text}"`);
    for (const id of ids) if (text.includes(id)) findings.push(`id "${id}" in "${text}"`);
    const code = RAW_CODE.exec(text);
    if (code) findings.push(`code "${code[0]}" in "${text}"`);
  }
  return findings;
}
