import type { User } from "../users/schema.ts";

export interface NewUser {
  username: string;
  email: string;
  hashedPassword: string;
  fullName: string | null;
  isAdmin: boolean;
}

/** Raised by `create` when the username or email is taken. */
export class DuplicateUserError extends Error {
  constructor(readonly field: "username" | "email") {
    super(`${field} already registered`);
    this.name = "DuplicateUserError";
  }
}

/**
 * What every authenticated request checks about its user: that it still exists and is active, its
 * rights now (not when its token was issued), and the version its tokens must carry.
 */
export interface UserAuthState {
  username: string;
  isAdmin: boolean;
  isActive: boolean;
  tokenVersion: number;
}

/** Users in the metadata database. */
export interface UserRepo {
  create(user: NewUser): Promise<User>;
  findById(id: number): Promise<User | null>;
  /** With the hash and token version, for login only. The username is matched without regard to case. */
  findCredentials(
    username: string,
  ): Promise<(User & { hashed_password: string; token_version: number }) | null>;
  /** The user's current rights and token version; null once deleted. */
  authState(id: number): Promise<UserAuthState | null>;
  list(): Promise<User[]>;
  /**
   * Change the given fields; returns the user, or null when absent. Throws DuplicateUserError on a taken
   * email. A new password revokes every earlier token (raises the token version).
   */
  update(
    id: number,
    fields: { email?: string; fullName?: string | null; hashedPassword?: string },
  ): Promise<User | null>;
  /** An admin's change of activity or rights; revokes every earlier token. Null when absent. */
  setStatus(id: number, fields: { isActive?: boolean; isAdmin?: boolean }): Promise<User | null>;
  /** Delete the account (its API keys with it); whether it existed. */
  remove(id: number): Promise<boolean>;
  /** Create the user when no user of that name exists; returns whether it was created. */
  ensure(user: NewUser): Promise<boolean>;
}
