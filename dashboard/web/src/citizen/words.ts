import type { CitizenAlert } from './api.ts';
import { ct } from './strings.ts';

/** "Dig", a relative's name, or a role; names only where the server sent them. */
export function who(role: string, name: string | null, viewerRole: string): string {
  if (role === 'citizen') return viewerRole === 'citizen' ? ct('you') : ct('the_citizen');
  const label = ct.of('role_', role);
  return name ? `${label}: ${name}` : label;
}

/**
 * Where the alert is, said no stronger than what happened: "på vej" only once someone set out,
 * "fremme" once someone arrived; an acknowledgement alone is "seen".
 */
export function alertStateText(a: Pick<CitizenAlert, 'state' | 'enRouteAt' | 'arrivedAt'>): string {
  if (a.state !== 'resolved' && a.arrivedAt !== null) return ct('chain_arrived');
  if (a.state !== 'resolved' && a.enRouteAt !== null) return ct('chain_en_route');
  return ct.of('state_', a.state);
}
