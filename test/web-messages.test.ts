import { describe, expect, it } from 'vitest';
import { catalog } from '../dashboard/web/src/messages/catalog.ts';
import { informationText, textVersionLabel } from '../services/domain/shared/information-texts.ts';

/** Every section of the one message catalog, in both languages, as plain records. */
const sections = Object.keys(catalog.da) as Array<keyof typeof catalog.da>;
const words = (lang: 'da' | 'en', name: (typeof sections)[number]) =>
  catalog[lang][name] as unknown as Record<string, unknown>;
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the web message catalog', () => {
  it('has the same sections and keys in Danish and English', () => {
    expect(Object.keys(catalog.en).sort()).toEqual([...sections].sort());
    for (const name of sections) {
      expect(Object.keys(words('en', name)).sort(), name).toEqual(Object.keys(words('da', name)).sort());
    }
  });

  it('has no empty value in either language, and the same placeholders in both', () => {
    for (const name of sections) {
      for (const [key, da] of Object.entries(words('da', name))) {
        const en = words('en', name)[key];
        expect(typeof da === 'string' && da.trim().length > 0, `da ${name}.${key}`).toBe(true);
        expect(typeof en === 'string' && en.trim().length > 0, `en ${name}.${key}`).toBe(true);
        expect(placeholders(en as string), `${name}.${key}`).toEqual(placeholders(da as string));
      }
    }
  });

  it('knows every error code the server can answer with', async () => {
    const source = await import('node:fs').then((fs) =>
      fs.readFileSync(new URL('../services/runtime/errors.ts', import.meta.url), 'utf8'),
    );
    const union = source.slice(
      source.indexOf('export type ErrorCode'),
      source.indexOf(';', source.indexOf('export type ErrorCode')),
    );
    const codes = [...union.matchAll(/'(\w+)'/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(5);
    for (const code of codes) expect(Object.keys(catalog.da.errors), code).toContain(`code_${code}`);
  });

  it('names every information text version by title and day, the retired one too, and no other', () => {
    expect(textVersionLabel(informationText('emergency', 'alerts').version)).toEqual({
      title: { da: 'Nødsituationer – Alarm til hjemmeplejen', en: 'Emergencies – Alert to home care' },
      issued: '2026-11-28',
    });
    expect(textVersionLabel('emergency-alerts-2026-1')?.issued).toBe('2026-11-23');
    expect(textVersionLabel('door-history-2026-1')?.title.da).toBe('Hoveddøren – Gem målingerne');
    expect(textVersionLabel('v1')).toBeNull();
  });
});
