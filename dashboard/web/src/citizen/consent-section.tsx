import type { ConsentCategory, Purpose } from '../../../../services/domain/shared/sensor-kinds.ts';
import { textVersionText } from '../text-version.ts';
import type { CategoryView, Overview } from './api.ts';
import { ConfirmButton, Section } from './parts.tsx';
import { ct, local, sinceText } from './strings.ts';

export interface ConsentChange {
  category: ConsentCategory;
  purpose: Purpose;
  action: 'grant' | 'withdraw';
  textVersion: string;
}

type OnChange = (changes: ConsentChange[], what: string) => void;

/**
 * What is measured and why, per category (keyed by category): its sensors in this home, and for
 * each purpose a switch with the information text beside it. Flipping a switch is the whole action:
 * saying no is as easy as saying yes (GDPR art. 7(3)). `saving` is the switch being saved.
 */
export function ConsentSection({
  o,
  saving,
  onChange,
}: {
  o: Overview;
  saving: string | null;
  onChange: OnChange;
}) {
  const granted = o.categories.flatMap((c) =>
    c.purposes
      .filter((p) => p.granted)
      .map((p) => ({
        category: c.category,
        purpose: p.purpose,
        action: 'withdraw' as const,
        textVersion: p.text.version,
      })),
  );
  return (
    <Section id="measured" title={ct('measured')}>
      {o.retentionDays ? <p>{ct('retention', { days: o.retentionDays })}</p> : null}
      {o.categories.map((c) => (
        <CategoryCard key={c.category} c={c} saving={saving} onChange={onChange} />
      ))}
      <section class="category" aria-labelledby="cat-technical-title">
        <h3 id="cat-technical-title">{local(o.technical.text.title)}</h3>
        <p>{local(o.technical.text.body)}</p>
        <SensorLine names={o.technical.sensors.map((s) => local(s.name))} />
      </section>
      <section class="category withdraw-all" aria-labelledby="withdraw-all-title">
        <h3 id="withdraw-all-title">{ct('withdrawAllTitle')}</h3>
        <p>{ct('withdrawAllIntro')}</p>
        <div class="actions">
          <ConfirmButton
            id="withdraw-all"
            label={ct('withdrawAll')}
            disabled={granted.length === 0}
            question={ct('withdrawAllConfirm')}
            yesLabel={ct('withdrawAllYes')}
            noLabel={ct('cancel')}
            onYes={() => onChange(granted, '')}
          />
        </div>
      </section>
    </Section>
  );
}

function SensorLine({ names }: { names: string[] }) {
  if (names.length === 0) return <p class="muted">{ct('noSensors')}</p>;
  return (
    <p>
      <strong>{ct('sensorsHere')}</strong>
      {` ${[...new Set(names)].join(', ')}`}
    </p>
  );
}

function CategoryCard({
  c,
  saving,
  onChange,
}: {
  c: CategoryView;
  saving: string | null;
  onChange: OnChange;
}) {
  const titleId = `cat-${c.category}-title`;
  return (
    <section class="category" aria-labelledby={titleId}>
      <h3 id={titleId}>{local(c.text.title)}</h3>
      <p>{local(c.text.body)}</p>
      <SensorLine names={c.sensors.map((s) => local(s.name))} />
      {c.purposes.map((p) => {
        const id = `consent-${c.category}-${p.purpose}`;
        const what = `${local(p.text.title).toLowerCase()} (${local(c.text.title).toLowerCase()})`;
        // Alerts: what stops if it is switched off, said beside the switch before anyone flips it, and
        // once off, that it is off and since when (issue 7 item 12). The information text describes
        // what happens when it is on, so while it is off it is introduced as such.
        const alerts = p.purpose === 'alerts';
        const when = ct.of('alertsWhen_', c.category);
        return (
          <div key={p.purpose} class={`consent-row ${p.granted ? 'on' : 'off'}`}>
            <label for={id} class="switch">
              <input
                type="checkbox"
                id={id}
                // biome-ignore lint/a11y/useAriaPropsForRole: a native checkbox: its own checked state is what the switch role reads
                role="switch"
                checked={p.granted}
                disabled={saving === id}
                aria-describedby={alerts ? `${id}-effect ${id}-text` : `${id}-text`}
                onChange={(e) =>
                  onChange(
                    [
                      {
                        category: c.category,
                        purpose: p.purpose,
                        action: e.currentTarget.checked ? 'grant' : 'withdraw',
                        textVersion: p.text.version,
                      },
                    ],
                    what,
                  )
                }
              />
              {/* the same purpose title stands in every category: the hidden part tells them apart when heard */}
              <span>
                {local(p.text.title)}
                <span class="visually-hidden">{` – ${local(c.text.title)}`}</span>
              </span>
              <span class="switch-state" aria-hidden="true">
                {p.granted ? ct('yes') : ct('no')}
              </span>
            </label>
            {alerts ? (
              <p id={`${id}-effect`} class={`consent-effect ${p.granted ? 'on' : 'off'}`}>
                {p.granted
                  ? ct('alertsOffBefore', { when })
                  : p.since
                    ? ct('alertsIsOffSince', { since: sinceText(p.since), when })
                    : ct('alertsIsOff', { when })}
              </p>
            ) : null}
            <p id={`${id}-text`} class="info-text">
              {alerts && !p.granted ? `${ct('ifSwitchedOn')} ` : ''}
              {local(p.text.body)}
              <span class="muted small">
                {` ${ct('textVersion')}: ${textVersionText(p.text.version)}.`}
                {p.granted && p.basis ? ` ${ct('givenBy')}: ${ct.of('basis_', p.basis)}.` : ''}
              </span>
            </p>
          </div>
        );
      })}
    </section>
  );
}
