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

/** Users in the metadata database. */
export interface UserRepo {
  create(user: NewUser): Promise<User>;
  findById(id: number): Promise<User | null>;
  /** With the hash, for login only. */
  findCredentials(username: string): Promise<(User & { hashed_password: string }) | null>;
  list(): Promise<User[]>;
  /** Change the given fields; returns the user, or null when absent. Throws DuplicateUserError on a taken email. */
  update(
    id: number,
    fields: { email?: string; fullName?: string | null; hashedPassword?: string },
  ): Promise<User | null>;
  /** Create the user when no user of that name exists; returns whether it was created. */
  ensure(user: NewUser): Promise<boolean>;
}
