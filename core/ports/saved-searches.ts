import type { SavedSearch, SavedSearchInput } from "../saved-searches/schema.ts";

/** Saved searches (table `saved_searches`, migration 14). */
export interface SavedSearchRepo {
  /** The user's own and every shared one (only shared ones for null), own first, by name. */
  list(userId: number | null): Promise<SavedSearch[]>;
  get(id: number): Promise<SavedSearch | null>;
  /** Throws CONFLICT when the owner already has a search of that name (whatever its case). */
  create(ownerId: number, input: SavedSearchInput): Promise<SavedSearch>;
  /** Replaces every field; null when there is no such search. Throws CONFLICT as create. */
  update(id: number, input: SavedSearchInput): Promise<SavedSearch | null>;
  /** False when there was no such search. */
  delete(id: number): Promise<boolean>;
}
