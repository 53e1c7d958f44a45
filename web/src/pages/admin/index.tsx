import { createResource, createSignal, type JSX, Show } from "solid-js";
import {
  cacheStats,
  clearCache,
  createKey,
  listKeys,
  listUsers,
  rateLimitStatus,
  resetAllRateLimits,
  resetRateLimit,
  revokeKey,
} from "../../data/admin.ts";
import { describeError } from "../../data/api.ts";
import { session } from "../../data/auth.ts";
import { CheckboxGroup, TextField } from "../../ui/fields.tsx";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { Empty, Loaded, Note, ShownOnce } from "../../ui/states.tsx";
import { DataTable } from "../../ui/table.tsx";

function Panel(props: { title: string; children: JSX.Element }) {
  const id = `admin-${props.title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section class="panel" aria-labelledby={id}>
      <h2 id={id} style={{ "margin-top": 0 }}>
        {props.title}
      </h2>
      {props.children}
    </section>
  );
}

/** A form under a panel's figures stands a little apart from them. */
const BELOW = { "margin-top": "0.6rem" };

/**
 * Runs an action, reporting its outcome in a live region (`Outcome`); `Form` is a row of fields and
 * buttons that runs its `action` when submitted.
 */
function useAction() {
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  const run = async (fn: () => Promise<string>) => {
    setMessage(null);
    try {
      setMessage({ ok: true, text: await fn() });
    } catch (err) {
      setMessage({ ok: false, text: describeError(err) });
    }
  };
  const Outcome = () => <Note text={message()?.text} tone={message()?.ok ? "notice" : "error"} />;
  const Form = (p: { action: () => Promise<string>; style?: JSX.CSSProperties; children: JSX.Element }) => (
    <form
      class="row"
      style={p.style}
      onSubmit={(e) => {
        e.preventDefault();
        void run(p.action);
      }}
    >
      {p.children}
    </form>
  );
  return { run, Outcome, Form };
}

function Users() {
  const [users, { refetch }] = createResource(listUsers);
  return (
    <Panel title="Users">
      <Loaded of={users} what="users" retry={refetch}>
        {(u) => (
          <DataTable
            rows={u().users}
            columns={[
              { header: "Username", cell: (x) => x.username },
              { header: "Email", cell: (x) => x.email },
              { header: "Role", cell: (x) => (x.is_admin ? "admin" : "user") },
              { header: "Active", cell: (x) => (x.is_active ? "yes" : "no") },
              { header: "Created", class: "time", cell: (x) => formatTime(x.created_at) },
            ]}
          />
        )}
      </Loaded>
    </Panel>
  );
}

const SCOPES = ["ingest", "read"] as const;
type Scope = (typeof SCOPES)[number];

function ApiKeys() {
  const [keys, { refetch }] = createResource(listKeys);
  const [name, setName] = createSignal("");
  const [scopes, setScopes] = createSignal<Scope[]>(["ingest"]);
  const [created, setCreated] = createSignal<string | null>(null);
  const { run, Outcome, Form } = useAction();
  return (
    <Panel title="API keys">
      <Form
        action={async () => {
          const k = await createKey(name().trim(), scopes());
          setCreated(k.key);
          setName("");
          await refetch();
          return `Created key “${k.name}”.`;
        }}
      >
        <TextField label="Key name" value={name()} onValue={setName} placeholder="vector on web-1" />
        <CheckboxGroup legend="Scopes" options={SCOPES} selected={scopes()} onSelect={setScopes} />
        <button type="submit" class="primary">
          Create key
        </button>
      </Form>
      <Outcome />
      <ShownOnce secret={created()} done="I have stored it" onDone={() => setCreated(null)}>
        <p>The key is shown only now; store it in your shipper's secrets:</p>
      </ShownOnce>
      <Loaded of={keys} retry={refetch}>
        {(k) => (
          <DataTable
            rows={k().api_keys}
            empty={<p class="muted">No API keys yet. Shippers use them instead of a login.</p>}
            columns={[
              { header: "Name", cell: (key) => key.name },
              { header: "Prefix", class: "mono", cell: (key) => `${key.prefix}…` },
              { header: "Scopes", cell: (key) => key.scopes.join(", ") },
              { header: "Owner", cell: (key) => `user ${key.user_id}` },
              {
                header: "Last used",
                cell: (key) => (key.last_used_at ? formatTime(key.last_used_at) : "never"),
              },
              {
                header: "State",
                cell: (key) => (
                  <Show
                    when={!key.revoked_at}
                    fallback={<span class="muted">revoked {formatTime(key.revoked_at)}</span>}
                  >
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Revoke ${key.name}`}
                      onClick={() =>
                        void run(async () => {
                          await revokeKey(key.id);
                          await refetch();
                          return `Revoked “${key.name}”.`;
                        })
                      }
                    >
                      Revoke
                    </button>
                  </Show>
                ),
              },
            ]}
          />
        )}
      </Loaded>
    </Panel>
  );
}

function Cache() {
  const [stats, { refetch }] = createResource(cacheStats);
  const [pattern, setPattern] = createSignal("*");
  const { Outcome, Form } = useAction();
  return (
    <Panel title="Cache">
      <Loaded of={stats} retry={refetch}>
        {(s) => (
          <div class="cards">
            <div class="card">
              <div class="label">Hit rate</div>
              <div class="value">{formatNumber(s().hit_rate * 100)} %</div>
              <div class="muted">
                {formatNumber(s().hits)} hits, {formatNumber(s().misses)} misses
              </div>
            </div>
            <div class="card">
              <div class="label">Keys</div>
              <div class="value">{formatNumber(s().keys)}</div>
              <div class="muted">
                {s().backend} ({s().status})
              </div>
            </div>
          </div>
        )}
      </Loaded>
      <Form
        style={BELOW}
        action={async () => {
          const r = await clearCache(pattern().trim() || "*");
          await refetch();
          return `Cleared ${r.cleared} cached answers matching ${r.pattern}.`;
        }}
      >
        <TextField label="Pattern" value={pattern()} onValue={setPattern} />
        <button type="submit" class="danger">
          Clear cache
        </button>
        <button type="button" onClick={() => void refetch()}>
          Refresh
        </button>
      </Form>
      <Outcome />
    </Panel>
  );
}

function RateLimits() {
  const [status, { refetch }] = createResource(rateLimitStatus);
  const [id, setId] = createSignal("");
  const { run, Outcome, Form } = useAction();
  return (
    <Panel title="Rate limits">
      <Loaded of={status} retry={refetch}>
        {(s) => (
          <>
            <p>
              {s().enabled ? `Enforced, counted in ${s().backend}.` : "Not enforced on this deployment."}{" "}
              <span class="muted">Identifier: {s().identifier}.</span>
            </p>
            <DataTable
              rows={s().rules}
              columns={[
                { header: "Rule", cell: (r) => r.name },
                {
                  header: "Limit",
                  cell: (r) =>
                    `${r.limit} per ${r.window_seconds >= 3600 ? `${r.window_seconds / 3600} h` : `${r.window_seconds / 60} min`}`,
                },
              ]}
            />
          </>
        )}
      </Loaded>
      <Form style={BELOW} action={async () => `Reset ${(await resetRateLimit(id().trim())).reset}.`}>
        <TextField label="User id, user:<id> or ip:<address>" value={id()} onValue={setId} required />
        <button type="submit">Reset one</button>
        <button
          type="button"
          class="danger"
          onClick={() =>
            void run(async () => {
              await resetAllRateLimits();
              return "Reset every allowance.";
            })
          }
        >
          Reset all
        </button>
      </Form>
      <Outcome />
    </Panel>
  );
}

export default function AdminPage() {
  return (
    <section aria-labelledby="ad-title">
      <h1 id="ad-title">Admin</h1>
      <Show
        when={session()?.isAdmin}
        fallback={
          <Empty title="This page is for admins.">
            <p>
              Your account ({session()?.username}) is not an admin. Ask an admin for access; meanwhile, your
              own API keys are managed through <code>/api/v1/api-keys</code>.
            </p>
          </Empty>
        }
      >
        <Users />
        <ApiKeys />
        <Cache />
        <RateLimits />
      </Show>
    </section>
  );
}
