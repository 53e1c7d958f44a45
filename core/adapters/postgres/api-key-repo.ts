import type { Sql } from "postgres";
import type { ApiKey, ApiKeyScope } from "../../api-keys/schema.ts";
import type { ApiKeyPrincipal, ApiKeyRepo } from "../../ports/api-keys.ts";

/** An `api_keys` row as postgres.js returns it. */
type Row = Omit<ApiKey, "id" | "user_id" | "created_at" | "last_used_at" | "revoked_at"> & {
  id: number | bigint;
  user_id: number | bigint;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

const toKey = (r: Row): ApiKey => ({
  id: Number(r.id),
  user_id: Number(r.user_id),
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  created_at: r.created_at.toISOString(),
  last_used_at: r.last_used_at?.toISOString() ?? null,
  revoked_at: r.revoked_at?.toISOString() ?? null,
});

/** The `api_keys` table. */
export class PostgresApiKeyRepo implements ApiKeyRepo {
  constructor(private readonly sql: Sql) {}

  async create(k: { userId: number; name: string; prefix: string; keyHash: string; scopes: ApiKeyScope[] }) {
    const [row] = await this.sql<Row[]>`
      insert into api_keys (user_id, name, prefix, key_hash, scopes)
      values (${k.userId}, ${k.name}, ${k.prefix}, ${k.keyHash}, ${k.scopes})
      returning id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at`;
    return toKey(row!);
  }

  async list(userId?: number): Promise<ApiKey[]> {
    const rows = await this.sql<Row[]>`
      select id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at from api_keys
      ${userId === undefined ? this.sql`` : this.sql`where user_id = ${userId}`}
      order by id`;
    return rows.map(toKey);
  }

  async get(id: number): Promise<ApiKey | null> {
    const [row] = await this.sql<Row[]>`
      select id, user_id, name, prefix, scopes, created_at, last_used_at, revoked_at from api_keys where id = ${id}`;
    return row ? toKey(row) : null;
  }

  async revoke(id: number): Promise<boolean> {
    const rows = await this
      .sql`update api_keys set revoked_at = now() where id = ${id} and revoked_at is null returning id`;
    return rows.length > 0;
  }

  async authenticate(keyHash: string): Promise<ApiKeyPrincipal | null> {
    // One statement: find, check the owner is active, and note the use (at most once a minute, so a busy
    // shipper does not turn every ingest into a row update).
    const [row] = await this.sql<
      {
        id: number | bigint;
        user_id: number | bigint;
        username: string;
        is_admin: boolean;
        scopes: ApiKeyScope[];
      }[]
    >`
      with found as (
        select k.id, k.user_id, u.username, u.is_admin, k.scopes, k.last_used_at
        from api_keys k join users u on u.id = k.user_id
        where k.key_hash = ${keyHash} and k.revoked_at is null and u.is_active
      ), touched as (
        update api_keys set last_used_at = now()
        where id = (select id from found) and (last_used_at is null or last_used_at < now() - interval '1 minute')
      )
      select id, user_id, username, is_admin, scopes from found`;
    if (!row) return null;
    return {
      keyId: Number(row.id),
      userId: Number(row.user_id),
      username: row.username,
      isAdmin: row.is_admin,
      scopes: row.scopes,
    };
  }
}
