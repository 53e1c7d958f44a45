import type { Sql } from "postgres";
import { AppError } from "../../errors.ts";
import type { Level } from "../../level.ts";
import type { SavedSearchRepo } from "../../ports/saved-searches.ts";
import type { SavedSearch, SavedSearchInput } from "../../saved-searches/schema.ts";

interface Row {
  id: string | number;
  owner_id: string | number;
  owner: string;
  name: string;
  query: string;
  services: string[] | null;
  levels: string[] | null;
  time_range: string;
  range_from: Date | null;
  range_to: Date | null;
  columns: string[] | null;
  shared: boolean;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | string) => new Date(d).toISOString();
/** unique_violation: the owner already has a search of that name (saved_searches_owner_name_idx). */
const UNIQUE_VIOLATION = "23505";

function toSearch(r: Row): SavedSearch {
  return {
    id: Number(r.id),
    owner: r.owner,
    owner_id: Number(r.owner_id),
    name: r.name,
    query: r.query,
    services: r.services ?? [],
    levels: (r.levels ?? []) as Level[],
    range: r.time_range,
    from: r.range_from ? iso(r.range_from) : null,
    to: r.range_to ? iso(r.range_to) : null,
    columns: r.columns ?? [],
    shared: r.shared,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

function duplicate(err: unknown, name: string): never {
  if ((err as { code?: unknown } | null)?.code === UNIQUE_VIOLATION) {
    throw new AppError(
      "CONFLICT",
      `You already have a saved search named ${JSON.stringify(name)} (names are unique per user, whatever their case): choose another name or update that one`,
      { errors: [{ field: "name", message: "already used by another of your saved searches" }] },
    );
  }
  throw err;
}

/** SavedSearchRepo over `saved_searches` (migration 14); Postgres and PGlite alike. */
export class PostgresSavedSearchRepo implements SavedSearchRepo {
  constructor(private readonly sql: Sql) {}

  private select(where: ReturnType<Sql>) {
    return this.sql<Row[]>`
      select s.*, u.username as owner from saved_searches s join users u on u.id = s.owner_id
      where ${where}`;
  }

  async list(userId: number | null): Promise<SavedSearch[]> {
    const rows = await this.select(
      userId === null ? this.sql`s.shared` : this.sql`(s.shared or s.owner_id = ${userId})`,
    );
    const own = (s: SavedSearch) => (s.owner_id === userId ? 0 : 1);
    return rows.map(toSearch).sort((a, b) => own(a) - own(b) || a.name.localeCompare(b.name) || a.id - b.id);
  }

  async get(id: number): Promise<SavedSearch | null> {
    const [row] = await this.select(this.sql`s.id = ${id}`);
    return row ? toSearch(row) : null;
  }

  async create(ownerId: number, s: SavedSearchInput): Promise<SavedSearch> {
    let id: number;
    try {
      const [row] = await this.sql<{ id: string | number }[]>`
        insert into saved_searches (owner_id, name, query, services, levels, time_range, range_from, range_to,
          columns, shared)
        values (${ownerId}, ${s.name}, ${s.query}, ${s.services}::text[], ${s.levels}::text[], ${s.range},
          ${s.range === "custom" ? s.from : null}::timestamptz, ${s.range === "custom" ? s.to : null}::timestamptz,
          ${s.columns}::text[], ${s.shared})
        returning id`;
      id = Number(row!.id);
    } catch (err) {
      duplicate(err, s.name);
    }
    return (await this.get(id))!;
  }

  async update(id: number, s: SavedSearchInput): Promise<SavedSearch | null> {
    let done: { count: number };
    try {
      done = await this.sql`
        update saved_searches set name = ${s.name}, query = ${s.query}, services = ${s.services}::text[],
          levels = ${s.levels}::text[], time_range = ${s.range},
          range_from = ${s.range === "custom" ? s.from : null}::timestamptz,
          range_to = ${s.range === "custom" ? s.to : null}::timestamptz,
          columns = ${s.columns}::text[], shared = ${s.shared}, updated_at = now()
        where id = ${id}`;
    } catch (err) {
      duplicate(err, s.name);
    }
    return done.count > 0 ? this.get(id) : null;
  }

  async delete(id: number): Promise<boolean> {
    const done = await this.sql`delete from saved_searches where id = ${id}`;
    return done.count > 0;
  }
}
