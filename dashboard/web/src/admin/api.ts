import { type ApiResponse, api, type RequestBody as BodyOf } from '../api/client.ts';

/** The administrator's side of the API, typed from `api/schema.d.ts`. */
export type AdminUser = ApiResponse<'/api/users', 'get'>['users'][number];
export type Team = ApiResponse<'/api/teams', 'get'>['teams'][number];
export type AdminHome = ApiResponse<'/api/homes', 'get'>['homes'][number];
export type SettingsInForce = ApiResponse<'/api/administration/settings', 'get'>['settings'];
export type Role = AdminUser['role'];

type NewUser = Parameters<typeof createUser>[0];
type UserChange = Parameters<typeof updateUser>[1];
type NewHome = Parameters<typeof createHome>[0];
type HomeChange = Parameters<typeof updateHome>[1];

export type { HomeChange, NewHome, NewUser, UserChange };

export const listUsers = () => api('get', '/api/users').then((r) => r.users);
export const createUser = (body: BodyOf<'/api/users', 'post'>) => api('post', '/api/users', { body });
export const updateUser = (userId: string, body: BodyOf<'/api/users/{userId}', 'patch'>) =>
  api('patch', '/api/users/{userId}', { path: { userId }, body });
export const resetPassword = (userId: string) =>
  api('post', '/api/users/{userId}/password-reset', { path: { userId } });
export const listTeams = () => api('get', '/api/teams').then((r) => r.teams);
export const createTeam = (id: string, name: string) => api('post', '/api/teams', { body: { id, name } });
export const renameTeam = (teamId: string, name: string) =>
  api('patch', '/api/teams/{teamId}', { path: { teamId }, body: { name } });
export const searchHomes = (q: string, limit: number) => api('get', '/api/homes', { query: { q, limit } });
export const createHome = (body: BodyOf<'/api/homes', 'post'>) => api('post', '/api/homes', { body });
export const updateHome = (homeId: string, body: BodyOf<'/api/homes/{homeId}/details', 'patch'>) =>
  api('patch', '/api/homes/{homeId}/details', { path: { homeId }, body });
export const settingsInForce = () => api('get', '/api/administration/settings').then((r) => r.settings);
export const changePassword = (currentPassword: string, newPassword: string) =>
  api('post', '/api/session/password', { body: { currentPassword, newPassword } });
