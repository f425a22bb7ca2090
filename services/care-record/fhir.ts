import { createHash } from 'node:crypto';
import type { Coding } from './codes.ts';

/**
 * The small part of FHIR R4 the care-record document uses, typed loosely: a resource is a JSON
 * object with a `resourceType`. The shapes are checked against the base R4 structure definitions
 * by a maintained validator (`validate.ts`), in the tests and before anything is sent.
 */
export interface FhirResource {
  resourceType: string;
  id?: string;
  [field: string]: unknown;
}

export interface Reference {
  reference?: string;
  type?: string;
  identifier?: { system: string; value: string };
  display?: string;
}

export interface BundleEntry {
  fullUrl: string;
  resource: FhirResource;
}

export interface Bundle extends FhirResource {
  resourceType: 'Bundle';
  identifier: { system: string; value: string };
  type: 'document';
  timestamp: string;
  entry: BundleEntry[];
}

export const concept = (coding: Coding, text?: string) => ({
  coding: [coding],
  ...(text ? { text } : {}),
});

/** FHIR `instant`/`dateTime` in UTC, to the millisecond. */
export const instant = (ms: number) => new Date(ms).toISOString();

/**
 * A UUID that is the same every time for the same name: the document for one alert has the same
 * entry ids whenever it is built, so a resend is recognisably the same document. Name-based from
 * SHA-256, marked with version 8 (RFC 9562: vendor-specific) and the RFC variant.
 */
export function nameUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as XHTML character data: a note is what a person typed, never markup. */
export const escapeXhtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * A generated narrative: each line a paragraph. FHIR narrative may not hold every character XML
 * forbids (control characters other than tab and line breaks); those are dropped from the copy shown.
 */
/** Whether XML 1.0 allows a character in text: no control characters but tab and line breaks. */
function xmlChar(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  if (code === 0x9 || code === 0xa || code === 0xd) return true;
  return code >= 0x20 && code !== 0xfffe && code !== 0xffff;
}

/**
 * A generated narrative: each line a paragraph. FHIR narrative is XHTML, which cannot hold every
 * character a person may type: characters XML forbids are dropped from the copy shown.
 */
export function narrative(lines: readonly string[]): { status: 'generated'; div: string } {
  const paragraphs = lines
    .map((line) => `<p>${escapeXhtml([...line].filter(xmlChar).join(''))}</p>`)
    .join('');
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${paragraphs}</div>` };
}
