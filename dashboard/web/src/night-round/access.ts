/**
 * Who the night round's pages are for, as the server decides it (dashboard/server/routes/
 * night-round.ts): a link is shown only to someone whose page would open, never to a role the API
 * refuses (a technician).
 */

/** the night round itself (`#tilsynsrunde`, `GET /api/night-round`): care staff */
export const walksNightRound = (role: string): boolean => role === 'staff';

/** a home's round times (`#/homes/<id>/tilsynsrunde`): staff of its team and administrators */
export const setsNightRoundTimes = (role: string): boolean => role === 'staff' || role === 'admin';
