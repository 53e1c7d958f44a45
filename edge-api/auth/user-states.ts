import type { UserAuthState, UserRepo } from "../../core/ports/users.ts";

/**
 * How long a user's record is believed without asking the database again, ms. A change made through
 * this process is seen at once (it calls `forget`); one made through another API process within this.
 */
export const USER_STATE_TTL_MS = 5_000;
/** Most users remembered at once. */
const MAX_USERS = 10_000;

/**
 * The user record behind each authenticated request (exists, active, admin, token version), remembered
 * for USER_STATE_TTL_MS so that a busy token costs one map lookup, not a query, per request.
 */
export class UserStates {
  private readonly known = new Map<number, { state: Promise<UserAuthState | null>; until: number }>();

  constructor(
    private readonly users: UserRepo,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: number): Promise<UserAuthState | null> {
    const now = this.now();
    const hit = this.known.get(id);
    if (hit && hit.until > now) return hit.state;
    if (hit) this.known.delete(id);
    if (this.known.size >= MAX_USERS) this.known.delete(this.known.keys().next().value!);
    const state = this.users.authState(id);
    const entry = { state, until: now + USER_STATE_TTL_MS };
    this.known.set(id, entry);
    // A failed lookup is not remembered: the next request asks again.
    state.catch(() => {
      if (this.known.get(id) === entry) this.known.delete(id);
    });
    return state;
  }

  /** Ask the database again on this user's next request (after a change of password, status or rights). */
  forget(id: number): void {
    this.known.delete(id);
  }
}

const perRepo = new WeakMap<UserRepo, UserStates>();

/** The one UserStates of a user repository (of an app's deps). */
export function userStates(users: UserRepo, now?: () => number): UserStates {
  let states = perRepo.get(users);
  if (!states) {
    states = new UserStates(users, now);
    perRepo.set(users, states);
  }
  return states;
}
