import { TryghedError } from '../../services/runtime/index.ts';

/**
 * After an administrator resets a password, a session may only do these until its owner has
 * picked a new one: see who is logged in, change the password, log out.
 */
const ALLOWED = new Set(['GET /api/session', 'DELETE /api/session', 'POST /api/session/password']);

export function allowedBeforePasswordChange(route: { method: string; path: string }): boolean {
  return ALLOWED.has(`${route.method.toUpperCase()} ${route.path}`);
}

export function passwordChangeRequired(): TryghedError {
  return new TryghedError(
    'password_change_required',
    'an administrator reset your password: choose a new one before you go on',
  );
}
