import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

/**
 * Hono's TrieRouter, remembering what it answered for the app's static routes (`/api/v1/metrics/overview`,
 * not `/api/v1/logs/:id`). Every request is matched against every route and middleware pattern, which
 * took 0.5 µs per request; a static route's answer never changes once the app is built, so it is looked
 * up in a map instead. Only paths registered as static routes are remembered: the cache is bounded by
 * the app's routes, and no client can grow it with paths of its own.
 *
 * Hono's RegExpRouter, which does this itself, cannot take this app (a static segment and a parameter
 * at the same place: `/logs/search` and `/logs/:id`), so Hono falls back to the TrieRouter anyway.
 */
export class StaticRouteCache<T> implements Router<T> {
  readonly name = "StaticRouteCache(TrieRouter)";
  private readonly trie = new TrieRouter<T>();
  /** Static route paths, by method ("ALL" for routes of every method). */
  private readonly staticPaths = new Map<string, Set<string>>();
  private readonly answers = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    this.trie.add(method, path, handler);
    // A route added after a request was answered changes answers: start over.
    this.answers.clear();
    if (/[:*?]/.test(path)) return;
    let paths = this.staticPaths.get(method);
    if (!paths) {
      paths = new Set();
      this.staticPaths.set(method, paths);
    }
    paths.add(path);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    const known = this.answers.get(key);
    if (known) return known;
    const result = this.trie.match(method, path);
    if (this.staticPaths.get(method)?.has(path) || this.staticPaths.get("ALL")?.has(path))
      this.answers.set(key, result);
    return result;
  }

  /** How many answers are remembered (tests). */
  get size(): number {
    return this.answers.size;
  }
}
