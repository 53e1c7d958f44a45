import type { Sql } from "postgres";
import { DuplicateUserError, type NewUser, type UserAuthState, type UserRepo } from "../../ports/users.ts";
import type { User } from "../../users/schema.ts";

/** A `users` row as postgres.js returns it. */
type Row = Omit<User, "created_at"> & { created_at: Date; hashed_password?: string; token_version?: number };

const toUser = (r: Row): User => ({
  id: Number(r.id),
  username: r.username,
  email: r.email,
  full_name: r.full_name,
  is_active: r.is_active,
  is_admin: r.is_admin,
  created_at: r.created_at.toISOString(),
});

/** The `users` table. */
export class PostgresUserRepo implements UserRepo {
  constructor(private readonly sql: Sql) {}

  async create(u: NewUser): Promise<User> {
    try {
      const [row] = await this.sql<Row[]>`
        insert into users (username, email, hashed_password, full_name, is_admin)
        values (${u.username}, ${u.email}, ${u.hashedPassword}, ${u.fullName}, ${u.isAdmin})
        returning id, username, email, full_name, is_active, is_admin, created_at`;
      return toUser(row!);
    } catch (err) {
      const e = err as { code?: string; constraint_name?: string };
      if (e.code === "23505")
        throw new DuplicateUserError(e.constraint_name?.includes("email") ? "email" : "username");

      throw err;
    }
  }

  async findById(id: number): Promise<User | null> {
    const [row] = await this.sql<Row[]>`
      select id, username, email, full_name, is_active, is_admin, created_at from users where id = ${id}`;
    return row ? toUser(row) : null;
  }

  async findCredentials(username: string) {
    const [row] = await this.sql<Row[]>`
      select id, username, email, full_name, is_active, is_admin, created_at, hashed_password, token_version
      from users where lower(username) = lower(${username})`;
    return row
      ? { ...toUser(row), hashed_password: row.hashed_password!, token_version: row.token_version ?? 0 }
      : null;
  }

  async authState(id: number): Promise<UserAuthState | null> {
    const [row] = await this.sql<
      { username: string; is_admin: boolean; is_active: boolean; token_version: number }[]
    >`select username, is_admin, is_active, token_version from users where id = ${id}`;
    return row
      ? {
          username: row.username,
          isAdmin: row.is_admin,
          isActive: row.is_active,
          tokenVersion: row.token_version,
        }
      : null;
  }

  async setStatus(id: number, f: { isActive?: boolean; isAdmin?: boolean }): Promise<User | null> {
    const [row] = await this.sql<Row[]>`
      update users set
        is_active = coalesce(${f.isActive ?? null}::boolean, is_active),
        is_admin = coalesce(${f.isAdmin ?? null}::boolean, is_admin),
        token_version = token_version + 1,
        updated_at = now()
      where id = ${id}
      returning id, username, email, full_name, is_active, is_admin, created_at`;
    return row ? toUser(row) : null;
  }

  async remove(id: number): Promise<boolean> {
    const rows = await this.sql`delete from users where id = ${id} returning id`;
    return rows.length > 0;
  }

  async list(): Promise<User[]> {
    const rows = await this.sql<Row[]>`
      select id, username, email, full_name, is_active, is_admin, created_at from users order by id`;
    return rows.map(toUser);
  }

  async update(
    id: number,
    f: { email?: string; fullName?: string | null; hashedPassword?: string },
  ): Promise<User | null> {
    try {
      const [row] = await this.sql<Row[]>`
        update users set
          email = coalesce(${f.email ?? null}, email),
          full_name = case when ${f.fullName !== undefined} then ${f.fullName ?? null} else full_name end,
          hashed_password = coalesce(${f.hashedPassword ?? null}, hashed_password),
          token_version = token_version + ${f.hashedPassword === undefined ? 0 : 1},
          updated_at = now()
        where id = ${id}
        returning id, username, email, full_name, is_active, is_admin, created_at`;
      return row ? toUser(row) : null;
    } catch (err) {
      if ((err as { code?: string }).code === "23505") throw new DuplicateUserError("email");
      throw err;
    }
  }

  async ensure(u: NewUser): Promise<boolean> {
    const rows = await this.sql`
      insert into users (username, email, hashed_password, full_name, is_admin)
      values (${u.username}, ${u.email}, ${u.hashedPassword}, ${u.fullName}, ${u.isAdmin})
      on conflict do nothing returning id`;
    return rows.length > 0;
  }
}
