import type { Team, User } from '../domain/index.ts';
import type { Store, UserRepository } from '../store/index.ts';

export type NewUser = Parameters<UserRepository['create']>[0];
export type UserPatch = Parameters<UserRepository['update']>[1];

/**
 * People and teams: the one owner of the `users` and `teams` tables (memberships are part of a
 * user; a password reset is an update). Everything else (the dashboard, the registry, the demo and
 * simulator set-up) asks here. Sessions and login limits are owned by the dashboard's session and
 * login-limit parts (`dashboard/server/sessions.ts`, `dashboard/server/login-limit.ts`).
 */
export class People {
  private readonly users;
  private readonly teams;

  constructor(store: Pick<Store, 'users' | 'teams'>) {
    this.users = store.users;
    this.teams = store.teams;
  }

  user(id: string): Promise<User | null> {
    return this.users.get(id);
  }

  userByUsername(username: string): Promise<User | null> {
    return this.users.byUsername(username);
  }

  allUsers(): Promise<User[]> {
    return this.users.list();
  }

  createUser(user: NewUser): Promise<User> {
    return this.users.create(user);
  }

  /** changes what is given; `teamIds` replaces the memberships; throws when there is no such user */
  updateUser(id: string, patch: UserPatch): Promise<User> {
    return this.users.update(id, patch);
  }

  team(id: string): Promise<Team | null> {
    return this.teams.get(id);
  }

  allTeams(): Promise<Team[]> {
    return this.teams.list();
  }

  createTeam(team: Team): Promise<Team> {
    return this.teams.create(team);
  }

  /** creates the team unless one with this id exists (the demo's and the simulator's set-up) */
  async ensureTeam(team: Team): Promise<void> {
    if (!(await this.teams.get(team.id))) await this.teams.create(team);
  }

  /** throws when there is no such team */
  renameTeam(id: string, name: string): Promise<Team> {
    return this.teams.rename(id, name);
  }
}
