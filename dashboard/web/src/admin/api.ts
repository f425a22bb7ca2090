import { call, type User } from '../api.ts';

export interface AdminUser extends User {
  mustChangePassword: boolean;
}
export interface Team {
  id: string;
  name: string;
}
export interface AdminHome {
  id: string;
  label: string;
  teamId: string;
  timezone: string;
  test: boolean;
}
export interface SettingsInForce {
  escalation: { deadlineS: Record<'critical' | 'high' | 'medium' | 'low', number>; renotifyMinS: number };
  notifiers: {
    fallbackWebhook: boolean;
    sms: { gateway: boolean; recipients: number };
    teamWebhooks: Array<{ teamId: string; configured: boolean }>;
    technicianWebhook: boolean;
  };
}

const enc = encodeURIComponent;

export const listUsers = () => call<{ users: AdminUser[] }>('GET', '/api/users').then((r) => r.users);
export const createUser = (body: Record<string, unknown>) =>
  call<{ user: AdminUser }>('POST', '/api/users', body);
export const updateUser = (id: string, body: Record<string, unknown>) =>
  call<{ user: AdminUser }>('PATCH', `/api/users/${enc(id)}`, body);
export const resetPassword = (id: string) =>
  call<{ temporaryPassword: string }>('POST', `/api/users/${enc(id)}/password-reset`, {});
export const listTeams = () => call<{ teams: Team[] }>('GET', '/api/teams').then((r) => r.teams);
export const createTeam = (id: string, name: string) =>
  call<{ team: Team }>('POST', '/api/teams', { id, name });
export const renameTeam = (id: string, name: string) =>
  call<{ team: Team }>('PATCH', `/api/teams/${enc(id)}`, { name });
export const searchHomes = (q: string, limit: number) =>
  call<{ homes: AdminHome[]; total: number }>('GET', `/api/homes?q=${enc(q)}&limit=${limit}`);
export const createHome = (body: Record<string, unknown>) =>
  call<{ home: AdminHome }>('POST', '/api/homes', body);
export const updateHome = (id: string, body: Record<string, unknown>) =>
  call<{ home: AdminHome }>('PATCH', `/api/homes/${enc(id)}/details`, body);
export const settingsInForce = () =>
  call<{ settings: SettingsInForce }>('GET', '/api/administration/settings').then((r) => r.settings);
export const changePassword = (currentPassword: string, newPassword: string) =>
  call<void>('POST', '/api/session/password', { currentPassword, newPassword });
