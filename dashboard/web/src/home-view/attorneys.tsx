import { useRef, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { ApiError } from '../api.ts';
import { formatTime } from '../i18n.ts';
import { section } from '../messages/index.ts';

export interface PowerOfAttorney {
  id: number;
  relative: { id: string; displayName: string | null };
  reference: string;
  verifiedAt: number;
  revokedAt: number | null;
}

/** Words of this part (the catalog's `attorneys` section). */
const tt = section('attorneys');

/** the home's powers of attorney, or null for a role that may not record them */
export async function powersOfAttorney(homeId: string): Promise<PowerOfAttorney[] | null> {
  try {
    const answer: { powersOfAttorney: PowerOfAttorney[] } = await api(
      'get',
      '/api/homes/{homeId}/powers-of-attorney',
      { path: { homeId } },
    );
    return answer.powersOfAttorney;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
}

/**
 * Staff record a relative's power of attorney after seeing the document, and revoke it; the list
 * keeps revoked ones, marked, keyed by the power's id. Shown only to those the server lets record
 * (staff of the team, admins).
 */
export function Attorneys({ homeId, initial }: { homeId: string; initial: PowerOfAttorney[] }) {
  const [powers, setPowers] = useState(initial);
  const [status, setStatus] = useState('');
  const form = useRef<HTMLFormElement>(null);
  const username = useRef<HTMLInputElement>(null);
  const reference = useRef<HTMLInputElement>(null);
  const revoke = async (p: PowerOfAttorney) => {
    try {
      await api('delete', '/api/homes/{homeId}/powers-of-attorney/{id}', {
        path: { homeId, id: String(p.id) },
      });
      setPowers((all) => all.map((q) => (q.id === p.id ? { ...q, revokedAt: Date.now() } : q)));
      setStatus(tt('revokedDone'));
    } catch {
      setStatus(tt('failed'));
    }
  };
  const record = async (e: Event) => {
    e.preventDefault();
    try {
      const answer: { powerOfAttorney: PowerOfAttorney } = await api(
        'post',
        '/api/homes/{homeId}/powers-of-attorney',
        {
          path: { homeId },
          body: {
            relativeUsername: username.current?.value ?? '',
            reference: reference.current?.value ?? '',
          },
        },
      );
      setPowers((all) => [...all, answer.powerOfAttorney]);
      form.current?.reset();
      setStatus(tt('saved'));
    } catch (err) {
      const code = err instanceof ApiError ? err.status : 0;
      setStatus(code === 404 ? tt('unknown') : code === 409 ? tt('exists') : tt('failed'));
    }
  };
  return (
    <section aria-labelledby="attorneys-title" class="panel-section">
      <h3 id="attorneys-title">{tt('title')}</h3>
      <p>{tt('intro')}</p>
      <ul class="attorneys">
        {powers.length === 0 ? <li>{tt('none')}</li> : null}
        {powers.map((p) => {
          const who = p.relative.displayName ?? p.relative.id;
          return (
            <li key={p.id}>
              {`${who} – ${p.reference} (${tt('since')} ${formatTime(p.verifiedAt)}${p.revokedAt ? `, ${tt('revoked')} ${formatTime(p.revokedAt)}` : ''}) `}
              {p.revokedAt ? null : (
                <button
                  type="button"
                  class="secondary"
                  aria-label={`${tt('revoke')}: ${who}`}
                  onClick={() => void revoke(p)}
                >
                  {tt('revoke')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <form ref={form} class="attorney-form" aria-label={tt('record')} onSubmit={(e) => void record(e)}>
        <label for="attorney-username">{tt('username')}</label>
        <input ref={username} id="attorney-username" name="username" required autocomplete="off" />
        <label for="attorney-reference">{tt('reference')}</label>
        <input ref={reference} id="attorney-reference" name="reference" required maxLength={200} />
        <div class="actions">
          <button type="submit">{tt('record')}</button>
        </div>
      </form>
      <p role="status">{status}</p>
    </section>
  );
}
