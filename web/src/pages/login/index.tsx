import { createSignal, Show } from "solid-js";
import { ApiError, describeError } from "../../data/api.ts";
import { login } from "../../data/session-api.ts";
import { navigate, query, safeNext } from "../../router.ts";
import { TextField } from "../../ui/fields.tsx";
import { Note } from "../../ui/states.tsx";

export default function LoginPage() {
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username().trim(), password());
      navigate(safeNext(query().next), { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "Incorrect username or password. Check both and try again."
          : err instanceof ApiError && err.status === 422
            ? "Enter both a username and a password."
            : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="login" onSubmit={submit} aria-labelledby="login-title">
      <h1 id="login-title">Log in to LogFlow</h1>
      <Show when={query().reason === "expired"}>
        <p class="notice" role="status">
          Your session ended. Log in again to return to the page you were on.
        </p>
      </Show>
      <TextField
        label="Username"
        name="username"
        autocomplete="username"
        required
        value={username()}
        onValue={setUsername}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autocomplete="current-password"
        required
        value={password()}
        onValue={setPassword}
      />
      <Note text={error()} tone="error" />
      <button type="submit" class="primary" disabled={busy()}>
        {busy() ? "Logging in…" : "Log in"}
      </button>
    </form>
  );
}
