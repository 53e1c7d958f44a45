/**
 * Cloudflare Workers entry (`wrangler dev` / `wrangler deploy`, configured by wrangler.toml).
 *
 * The dashboard (web/dist) is served by Workers Assets in front of this Worker; only the paths listed
 * in `assets.run_worker_first` (and requests no asset matches) reach `fetch`.
 *
 * The database client is built per request and closed after the response: Workers forbid using an I/O
 * object (a TCP socket) created by one request from another, so a module-level pool would hang. With a
 * Hyperdrive binding (`HYPERDRIVE`, see wrangler.toml) the per-request client connects to Cloudflare's
 * pooler next to the Worker, which keeps that cheap; without it each request that touches the
 * database opens its own connection to DATABASE_URL.
 */

import type { Hono } from "hono";
import { ConfigError } from "../../core/config.ts";
import { createApp } from "../../edge-api/app.ts";
import { type AppEnv, REQUEST_DEPS } from "../../edge-api/context.ts";
import { alertEngine } from "../../stream-jobs/scheduler/scheduler.ts";
import { runAlertTick } from "../../stream-jobs/scheduler/tick.ts";
import { buildEdgeDeps, type EdgeDeps } from "../edge-deps.ts";

// The few Workers types used here, declared locally instead of pulling in @cloudflare/workers-types.
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
}

interface Env {
  /** Cloudflare's connection pooler in front of the database; preferred over DATABASE_URL when bound. */
  HYPERDRIVE?: { connectionString: string };
  [name: string]: unknown;
}

/**
 * The app, built on the isolate's first request and kept (its routes and middleware hold no request's
 * objects); each request's dependencies are handed to it (REQUEST_DEPS). Building it took milliseconds
 * of CPU per request, most of a free plan's 10 ms. The variables are the same for every request of an
 * isolate, so the first request's settings (CORS) stand for all.
 */
let app: Hono<AppEnv> | undefined;

/** Workers allow 6 open outbound connections per invocation; leave one for anything else. */
const POOL_SIZE = 5;

function configProblem(err: ConfigError): Response {
  const body = {
    type: "https://logflow.dev/problems/internal",
    title: "Internal server error",
    status: 500,
    detail: `This Worker is misconfigured. ${err.problems.join("; ")}`,
    code: "INTERNAL",
    request_id: crypto.randomUUID(),
  };
  console.error(err.message);
  return new Response(JSON.stringify(body), {
    status: 500,
    headers: {
      "content-type": "application/problem+json",
      "X-Request-ID": body.request_id,
      "X-Correlation-ID": body.request_id,
    },
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const hyperdrive = env.HYPERDRIVE?.connectionString;
    let built: EdgeDeps;
    try {
      built = await buildEdgeDeps(hyperdrive ? { ...env, DATABASE_URL: hyperdrive } : env, {
        poolSize: POOL_SIZE,
        databaseLabel: hyperdrive ? "postgres (hyperdrive)" : "postgres",
      });
    } catch (err) {
      if (err instanceof ConfigError) return configProblem(err);
      throw err;
    }
    let res: Response;
    try {
      app ??= createApp(built.deps);
      res = await app.fetch(request, { [REQUEST_DEPS]: built.deps });
    } catch (err) {
      ctx.waitUntil(built.close());
      throw err;
    }
    if (res.body && res.headers.get("content-type")?.startsWith("text/event-stream")) {
      // A stream (the live tail) goes on reading the database after the handler returned: the client
      // is closed once the stream ends, whoever ends it.
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      ctx.waitUntil(
        res.body
          .pipeTo(writable)
          .catch(() => {})
          .finally(() => built.close()),
      );
      return new Response(readable, res);
    }
    // After the response is sent, not before it: the client must outlive the handler's last query.
    ctx.waitUntil(built.close());
    return res;
  },

  /**
   * Cron trigger (wrangler.toml `[triggers]`, every minute): one alert evaluation tick. The tick is
   * claimed in the database first, so Bun schedulers running against the same database never evaluate it
   * a second time. Workers have no DNS API: webhook hosts given as names are not resolved before sending
   * (literal addresses are still checked, and Workers' egress cannot reach a private network).
   */
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const hyperdrive = env.HYPERDRIVE?.connectionString;
    let built: EdgeDeps;
    try {
      built = await buildEdgeDeps(hyperdrive ? { ...env, DATABASE_URL: hyperdrive } : env, {
        poolSize: POOL_SIZE,
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(
        `scheduled trigger: this Worker is misconfigured, no alerts evaluated. ${err.problems.join("; ")}`,
      );
      return;
    }
    const log = built.deps.log;
    const ticks = built.built.alertTicks;
    if (!ticks) {
      log?.({
        level: "WARNING",
        msg: "scheduled trigger: no DATABASE_URL, no alerts evaluated",
        cron: controller.cron,
      });
      return;
    }
    const run = (async () => {
      try {
        const r = await runAlertTick(
          alertEngine({ ...built.built, alertTicks: ticks }, built.config, { owner: "workers" }),
          controller.scheduledTime,
        );
        log?.({
          level: "INFO",
          msg: r.claimed ? "alert tick" : "alert tick already evaluated elsewhere",
          tick: r.tick,
          rules: r.outcome?.rules,
          fired: r.outcome?.fired,
          resolved: r.outcome?.resolved,
          anomalies: r.anomalies,
        });
      } catch (err) {
        log?.({ level: "ERROR", msg: "alert tick failed", error: String(err) });
      } finally {
        await built.close();
      }
    })();
    ctx.waitUntil(run);
    await run;
  },
};
