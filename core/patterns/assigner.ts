/**
 * Gives every event the id of its message's template (`event.pattern`), where events are validated: the
 * embedded ingest path (patternStore) and the Kafka indexer (a BatchStep). One PatternMiner per service,
 * created on the service's first event from what the store keeps of it, so a restart goes on with the
 * same ids.
 *
 * Two indexers, one id per template (the cluster profile). Ids are not handed out by a central counter:
 * a template's id is a hash of its service and the masked first line that started it (pattern-id.ts).
 * Most templates start alike everywhere (masking turns `GET /users/u_1/profile 500` and
 * `GET /users/u_2/profile 500` into one line), so two indexers name them alike without talking. Where
 * they started from different lines (`Disk sda full` on one, `Disk sdb full` on the other, before the
 * position generalised), each saves its miner's state to `pattern_miners` every sync and absorbs the
 * others' (PatternMiner.absorb): the result depends only on the union of the states, so they converge on
 * one template with the smaller id, and the other id is recorded as merged into it (`patterns.merged_into`,
 * which readers follow). Events already stored under the other id are not rewritten; they resolve.
 *
 * Bounded: at most `maxServices` miners (the least recently active goes, after its state is saved), each
 * with at most MinerConfig.maxTemplates templates; pending counts at most one row per template.
 */
import { eventLoopSlicer, SLICE_MS } from "../event-loop.ts";
import type { LogEvent } from "../log-event.ts";
import type { LogLine } from "../logger.ts";
import type { PatternRepo, PatternUpdate, SavedMiner } from "../ports/patterns.ts";
import { type MinerConfig, PatternMiner } from "./miner.ts";
import type { MinerSnapshot } from "./snapshot.ts";

export interface PatternAssignerOptions {
  /** Where templates and miner states are kept; none: ids are assigned, nothing is kept. */
  repo?: PatternRepo;
  /** This process's name among the miners of a cluster (one row per service and node). */
  node: string;
  /** Miners kept in memory at once (default 500). */
  maxServices?: number;
  config?: Partial<MinerConfig>;
  log?: LogLine;
  /** How long mining one batch may hold the event loop before others get a turn (default SLICE_MS). */
  sliceMs?: number;
}

/** How often a miner's state is saved when only its counts changed. */
const STATE_REFRESH_MS = 10 * 60_000;

/** What of a miner's state matters to another miner or a restart: its templates, groups and merges. */
function shapeOf(s: MinerSnapshot): string {
  const templates = s.templates.map((t) => `${t.id} ${t.tokens.join(" ")}`).sort();
  return JSON.stringify([templates, s.siblings, s.aliases]);
}

/** How far back a sync looks past the newest peer state it has read (commit order is not clock order). */
const PEER_OVERLAP_MS = 5_000;

export class PatternAssigner {
  private readonly miners = new Map<string, PatternMiner>();
  private readonly loading = new Map<string, Promise<void>>();
  private pending = new Map<string, PatternUpdate>();
  /** Services whose miner changed since its state was saved, and what was last saved of each. */
  private readonly dirty = new Set<string>();
  private readonly saved = new Map<string, { shape: string; at: number }>();
  private readonly mergedSent = new Set<string>();
  private peersSince = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> | undefined;
  private readonly maxServices: number;

  constructor(private readonly o: PatternAssignerOptions) {
    this.maxServices = o.maxServices ?? 500;
  }

  /** Miners in memory. */
  get services(): number {
    return this.miners.size;
  }

  /**
   * Sets `pattern` on every event. New templates are recorded before it resolves (so an id an event
   * carries has its row); counts and last-seen times go with the next flush. Rejects only when a new
   * service's saved state cannot be read (the store is down: the caller retries the batch).
   */
  async assign(events: LogEvent[]): Promise<void> {
    const missing = new Set<string>();
    for (const e of events) if (!this.miners.has(e.service)) missing.add(e.service);
    if (missing.size > 0) await Promise.all([...missing].map((s) => this.load(s)));
    // The batch's miners, held here: a flush that runs while this batch gives way may evict one.
    const mine = new Map<string, PatternMiner>();
    for (const e of events) if (!mine.has(e.service)) mine.set(e.service, this.miners.get(e.service)!);
    const created = new Set<string>();
    let last: string | undefined;
    let miner: PatternMiner | undefined;
    // Mining 10,000 long messages takes hundreds of milliseconds: other requests get their turns.
    const breathe = eventLoopSlicer(this.o.sliceMs ?? SLICE_MS);
    for (const e of events) {
      const pause = breathe();
      if (pause) {
        await pause;
        last = undefined; // a flush may have run: mark the miner active (and dirty) again
      }
      if (e.service !== last) {
        last = e.service;
        miner = mine.get(e.service)!;
        // Most recently active at the end: the first entries are the ones to evict.
        this.miners.delete(e.service);
        this.miners.set(e.service, miner);
        this.dirty.add(e.service);
      }
      const m = miner!.add(e.message);
      e.pattern = m.id;
      if (m.created) created.add(m.id);
      const ts = Date.parse(e.timestamp);
      const p = this.pending.get(m.id);
      if (p) {
        p.count++;
        if (ts < p.firstSeen) p.firstSeen = ts;
        if (ts > p.lastSeen) p.lastSeen = ts;
      } else {
        this.pending.set(m.id, {
          id: m.id,
          service: e.service,
          template: "",
          firstSeen: ts,
          lastSeen: ts,
          count: 1,
        });
      }
    }
    if (created.size > 0 && this.o.repo) {
      const rows = this.take((id) => created.has(id));
      try {
        await this.o.repo.record(rows);
      } catch (err) {
        this.putBack(rows);
        this.o.log?.({ level: "WARNING", msg: "pattern templates not recorded yet", error: String(err) });
      }
    }
  }

  /** The id a stored id stands for now in this process's miners (itself when unknown). */
  resolve(service: string, id: string): string {
    return this.miners.get(service)?.resolve(id) ?? id;
  }

  /** Flush every `ms` (counts, states, peers' states); the timer does not hold the process open. */
  start(ms: number): void {
    this.timer ??= setInterval(() => {
      this.flush().catch((err) =>
        this.o.log?.({ level: "WARNING", msg: "pattern sync failed", error: String(err) }),
      );
    }, ms);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Stops the timer and flushes what is pending. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /**
   * Records pending counts, saves the state of every miner that changed, absorbs the states other nodes
   * saved since the last flush, records the merges that made, and drops the least recently active
   * miners past `maxServices`. One at a time; what fails stays pending for the next.
   */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const repo = this.o.repo;
    if (!repo) {
      this.pending.clear();
      this.evict();
      return;
    }
    const rows = this.take(() => true);
    try {
      if (rows.length > 0) await repo.record(rows);
    } catch (err) {
      this.putBack(rows);
      throw err;
    }

    const peers = await repo.miners({ since: this.peersSince - PEER_OVERLAP_MS, exceptNode: this.o.node });
    const byService = new Map<string, SavedMiner[]>();
    for (const p of peers) {
      this.peersSince = Math.max(this.peersSince, p.updatedAt);
      if (!this.miners.has(p.service)) continue;
      byService.set(p.service, [...(byService.get(p.service) ?? []), p]);
    }
    for (const [service, saved] of byService) {
      try {
        this.miners.get(service)!.absorb(...saved.map((s) => s.snapshot));
        this.dirty.add(service);
      } catch (err) {
        this.o.log?.({
          level: "WARNING",
          msg: "pattern state of a peer not absorbed",
          service,
          error: String(err),
        });
      }
    }

    for (const service of [...this.dirty]) {
      const miner = this.miners.get(service);
      this.dirty.delete(service);
      if (!miner) continue;
      const snapshot = miner.snapshot();
      const merges = snapshot.aliases.filter(([from, to]) => !this.mergedSent.has(`${from}>${to}`));
      if (merges.length > 0) {
        await repo.merge(merges);
        for (const [from, to] of merges) this.mergedSent.add(`${from}>${to}`);
        if (this.mergedSent.size > 100_000) this.mergedSent.clear();
      }
      // Counts and recency change with every line; the templates themselves seldom. A state whose
      // templates are as saved is saved again only every STATE_REFRESH_MS (a restart then starts from
      // counts up to that old, which only weigh which template is evicted first).
      const shape = shapeOf(snapshot);
      const last = this.saved.get(service);
      const now = Date.now();
      if (last && last.shape === shape && now - last.at < STATE_REFRESH_MS) continue;
      try {
        await repo.saveMiner(service, this.o.node, snapshot);
        this.saved.set(service, { shape, at: now });
      } catch (err) {
        this.dirty.add(service);
        throw err;
      }
    }
    this.evict();
  }

  /** Drops the least recently active miners past the cap; their state was saved by the flush. */
  private evict(): void {
    for (const service of this.miners.keys()) {
      if (this.miners.size <= this.maxServices) break;
      if (this.dirty.has(service)) continue;
      this.miners.delete(service);
      this.saved.delete(service);
    }
  }

  /** A miner for the service, from the states saved of it (this node's and its peers'), else empty. */
  private load(service: string): Promise<void> {
    let loading = this.loading.get(service);
    if (!loading) {
      loading = (async () => {
        const saved = this.o.repo ? await this.o.repo.miners({ service }) : [];
        let miner: PatternMiner | undefined;
        const own = saved.find((s) => s.node === this.o.node) ?? saved[0];
        if (own) {
          try {
            miner = PatternMiner.restore(own.snapshot, this.o.config);
            const others = saved.filter((s) => s !== own).map((s) => s.snapshot);
            if (others.length > 0) miner.absorb(...others);
            this.saved.set(service, { shape: shapeOf(miner.snapshot()), at: Date.now() });
          } catch (err) {
            // Another version's state, or a damaged one: start afresh (ids are still derived alike).
            this.o.log?.({
              level: "WARNING",
              msg: "pattern state not restored",
              service,
              error: String(err),
            });
            miner = undefined;
          }
        }
        for (const s of saved) this.peersSince = Math.max(this.peersSince, s.updatedAt);
        this.miners.set(service, miner ?? new PatternMiner(service, this.o.config));
      })().finally(() => this.loading.delete(service));
      this.loading.set(service, loading);
    }
    return loading;
  }

  /** Pending rows whose id passes `which`, removed from pending, with their templates' current text. */
  private take(which: (id: string) => boolean): PatternUpdate[] {
    const texts = new Map<string, Map<string, string>>();
    const out: PatternUpdate[] = [];
    for (const [id, p] of this.pending) {
      if (!which(id)) continue;
      this.pending.delete(id);
      let byId = texts.get(p.service);
      if (!byId) {
        const miner = this.miners.get(p.service);
        byId = new Map(miner?.templates().map((t) => [t.id, t.template]) ?? []);
        texts.set(p.service, byId);
      }
      const miner = this.miners.get(p.service);
      p.template = byId.get(id) ?? byId.get(miner?.resolve(id) ?? id) ?? p.template;
      if (p.template) out.push(p);
    }
    return out;
  }

  private putBack(rows: PatternUpdate[]): void {
    for (const r of rows) {
      const p = this.pending.get(r.id);
      if (!p) this.pending.set(r.id, r);
      else {
        p.count += r.count;
        p.firstSeen = Math.min(p.firstSeen, r.firstSeen);
        p.lastSeen = Math.max(p.lastSeen, r.lastSeen);
      }
    }
  }
}
