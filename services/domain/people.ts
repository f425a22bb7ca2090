/** A care team: owned by `services/people`. */
export interface Team {
  id: string;
  name: string;
}

export const USER_ROLES = ['staff', 'technician', 'admin', 'citizen', 'relative'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A person who logs in: owned by `services/people`. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
  passwordHash: string;
  /** a citizen's own home */
  homeId: string | null;
  teamIds: string[];
  createdAt: number;
  /** an administrator reset the password: a login only lets them change it until they do */
  mustChangePassword: boolean;
}
