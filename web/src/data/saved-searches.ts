import type { SavedSearch, SavedSearchList } from "../../../core/saved-searches/schema.ts";
import { api } from "./api.ts";
import type { LogQuery } from "./logs.ts";

export type { SavedSearch };

/** The signed-in user's saved searches and the shared ones (only shared ones without a session). */
export async function listSavedSearches(): Promise<SavedSearch[]> {
  return (await api<SavedSearchList>("/api/v1/saved-searches")).saved_searches;
}

/** Save Explore's filters under a name (a 409 when the user already has that name). */
export function saveSearch(name: string, q: LogQuery, shared: boolean): Promise<SavedSearch> {
  return api<SavedSearch>("/api/v1/saved-searches", {
    json: {
      name,
      query: q.q,
      services: q.services,
      levels: q.levels,
      range: q.range,
      from: q.range === "custom" ? (q.from ?? null) : null,
      to: q.range === "custom" ? (q.to ?? null) : null,
      shared,
    },
  });
}

/** Delete one (its owner or an admin). */
export function deleteSavedSearch(id: number): Promise<void> {
  return api<void>(`/api/v1/saved-searches/${id}`, { method: "DELETE" });
}

/** A saved search as Explore's filters (what its URL then holds). */
export function savedAsQuery(s: SavedSearch): LogQuery {
  return {
    q: s.query,
    services: s.services,
    levels: s.levels,
    range: s.range,
    from: s.from ?? undefined,
    to: s.to ?? undefined,
  };
}
