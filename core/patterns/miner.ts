/**
 * An online template miner for one service: every message is masked (mask.ts) and either joins the
 * template it matches (which generalises where they differ) or starts a new one. Pure and deterministic:
 * the same messages in the same order give the same templates and ids.
 *
 * What it takes from the published parsers, and where it departs from them:
 * - Drain (He et al., ICWS 2017): templates of one token count, a similarity threshold, a line's first
 *   word as the strongest evidence. Here a first token that is a value (a host, a class name) is not a
 *   key, and the search goes by every token a line shares with a template, not a fixed-depth prefix.
 * - Brain and Logram: constants are the frequent words, variables the many-valued positions. Lines that
 *   differ in one word (`VM Started` / `VM Paused`, `GET` / `POST`) are kept apart as siblings until that
 *   position has shown `siblingWords` distinct words; then they merge into one template with a wildcard
 *   there. Lines that differ in values (ids, hosts, paths) join at once.
 * - Merges are aliases, never renames: an id once handed out stays valid and resolves to the template
 *   it joined (`resolve`), so stored events never need rewriting.
 */
import { covers, generalise, isValueToken, maskTokens, templateText } from "./mask.ts";
import { patternId } from "./pattern-id.ts";
import { Recency } from "./recency.ts";
import { cmp, type MinerSnapshot, MinerSnapshotSchema, resolveAlias, unionOf } from "./snapshot.ts";
import { LengthIndex, type SiblingGroup, type Template } from "./template-index.ts";

export interface MinerConfig {
  /** Share of a line's tokens equal to a template's for the line to join it (Drain's threshold). */
  similarity: number;
  /** Distinct words one position of otherwise matching templates shows before it is a variable. */
  siblingWords: number;
  /**
   * Templates kept for the service. Past it the least recently seen template is evicted (see Recency);
   * its id stays valid in storage, and a line like it later starts a template again (with the same id
   * when that line masks as the first one did).
   */
  maxTemplates: number;
}

export const MINER_CONFIG: MinerConfig = { similarity: 0.5, siblingWords: 4, maxTemplates: 1000 };

/** What `add` says about a line. */
export interface PatternMatch {
  /** The id of the template the line belongs to now (after any merge its arrival caused). */
  id: string;
  /** Whether the line started a template. */
  created: boolean;
}

/** A template as the miner shows it. */
export interface TemplateView {
  id: string;
  template: string;
  count: number;
}

// Masked lines remembered with the template they matched as they stood (see `add`), and the longest
// remembered (a few MB at most).
const MAX_CACHED = 4096;
const MAX_CACHED_KEY = 512;

export class PatternMiner {
  private readonly config: MinerConfig;
  private readonly lengths = new Map<number, LengthIndex>();
  private readonly byId = new Map<string, Template>();
  private readonly recency: Recency<Template>;
  private readonly aliases = new Map<string, string>();
  // Masked line → the template that covered it, valid while the index of its length is unchanged: a
  // pure cache (a hit gives what a search would, since a newer template never beats an older one that
  // already covers the line).
  private readonly exact = new Map<string, { template: Template; version: number }>();
  private seq = 0;

  constructor(
    readonly service: string,
    config: Partial<MinerConfig> = {},
  ) {
    this.config = { ...MINER_CONFIG, ...config };
    if (!(this.config.maxTemplates >= 1)) throw new Error("maxTemplates must be at least 1");
    this.recency = new Recency(Math.max(1, Math.floor(this.config.maxTemplates * 0.8)));
  }

  /** The number of templates held. */
  get size(): number {
    return this.byId.size;
  }

  /** Mines one message: the id of the template it belongs to. */
  add(message: string): PatternMatch {
    const tokens = maskTokens(message);
    const key = tokens.join(" ");
    const index = this.index(tokens.length);
    const hit = this.exact.get(key);
    if (hit && hit.version === index.version && this.byId.get(hit.template.id) === hit.template) {
      hit.template.count++;
      this.recency.touch(hit.template);
      return { id: hit.template.id, created: false };
    }
    return this.place(tokens, key, null, 1);
  }

  /** The id a stored id stands for now: itself, or the template it was merged into. */
  resolve(id: string): string {
    return resolveAlias(this.aliases, id);
  }

  /** The templates held, least recently seen first. */
  templates(): TemplateView[] {
    return [...this.recency.entries()].map((t) => ({
      id: t.id,
      template: templateText(t.tokens),
      count: t.count,
    }));
  }

  /** Everything the miner knows, as plain JSON (for a restart, or for another miner to absorb). */
  snapshot(): MinerSnapshot {
    const groups = new Set<SiblingGroup>();
    for (const t of this.recency.entries()) {
      for (const p of [...t.siblings.keys()].sort((a, b) => a - b)) groups.add(t.siblings.get(p)!);
    }
    return {
      version: 1,
      service: this.service,
      seq: this.seq,
      templates: [...this.recency.entries()].map((t) => ({
        id: t.id,
        tokens: [...t.tokens],
        count: t.count,
        seq: t.seq,
        protected: this.recency.isProtected(t),
      })),
      siblings: [...groups].map((g) => ({
        position: g.position,
        words: [...g.words],
        members: g.members.map((m) => m.id),
      })),
      aliases: [...this.aliases],
    };
  }

  /** A miner in exactly the state `snapshot` was taken in (it goes on as the original would). */
  static restore(snapshot: unknown, config: Partial<MinerConfig> = {}): PatternMiner {
    const s = MinerSnapshotSchema.parse(snapshot);
    const miner = new PatternMiner(s.service, config);
    for (const [from, to] of s.aliases) miner.aliases.set(from, to);
    for (const t of s.templates) miner.insert(template(t.id, t.tokens, t.count, t.seq), t.protected);
    for (const g of s.siblings) {
      const members = g.members.flatMap((id) => miner.byId.get(id) ?? []);
      const group: SiblingGroup = { position: g.position, words: new Set(g.words), members };
      for (const m of members) m.siblings.set(g.position, group);
    }
    miner.seq = s.seq;
    return miner;
  }

  /**
   * Reconciles with other miners of the same service (in a cluster: the other indexers' snapshots,
   * shared through the store). The union of all the states (see unionOf) is placed afresh, smallest id
   * first, by the rules lines follow, and again until nothing more joins; a template that joins another
   * leaves an alias to it. The result depends only on that union: miners that each absorb all the
   * others' snapshots end in one state, with one id for every template and every id any of them has
   * handed out resolving to it; absorbing the same snapshots again changes nothing.
   */
  absorb(...peers: unknown[]): void {
    const others = peers.map((p) => MinerSnapshotSchema.parse(p));
    for (const o of others) {
      if (o.service !== this.service) throw new Error(`cannot absorb ${o.service} into ${this.service}`);
    }
    const { templates, aliases } = unionOf([this.snapshot(), ...others]);
    for (;;) {
      this.clear();
      for (const [from, to] of aliases) this.aliases.set(from, to);
      for (const id of [...templates.keys()].sort()) {
        const t = templates.get(id)!;
        const placed = this.place(t.tokens, t.tokens.join(" "), id, t.count);
        if (t.protected) this.recency.touch(this.byId.get(placed.id)!);
      }
      if (this.byId.size === templates.size) break;
      // Something joined a template that had grown since it was placed: place the result again.
      templates.clear();
      for (const t of this.recency.entries()) {
        templates.set(t.id, { tokens: t.tokens, count: t.count, protected: this.recency.isProtected(t) });
      }
      aliases.clear();
      for (const [from, to] of this.aliases) aliases.set(from, to);
    }
    const sorted = [...this.aliases].sort(([a], [b]) => cmp(a, b));
    this.aliases.clear();
    for (const [from, to] of sorted) this.aliases.set(from, to);
    this.trimAliases();
  }

  private clear(): void {
    this.lengths.clear();
    this.byId.clear();
    this.aliases.clear();
    this.exact.clear();
    this.recency.clear();
    this.seq = 0;
  }

  private index(length: number): LengthIndex {
    let index = this.lengths.get(length);
    if (!index) {
      index = new LengthIndex(length);
      this.lengths.set(length, index);
    }
    return index;
  }

  /**
   * Joins masked tokens to the template they match, or starts a template (`id` when absorbing a peer's,
   * else derived from the tokens) and records it as a sibling of the one it differs from in a word.
   */
  private place(tokens: string[], key: string, id: string | null, count: number): PatternMatch {
    const index = this.index(tokens.length);
    const found = index.search(tokens, this.config.similarity);
    const join = found.join;
    if (join) {
      this.generalise(join, tokens);
      join.count += count;
      this.recency.touch(join);
      if (id !== null) this.aliases.set(id, join.id);
      else if (found.exact) this.remember(key, join, index);
      return { id: join.id, created: false };
    }

    while (this.byId.size >= this.config.maxTemplates) this.remove(this.recency.victim()!);
    const base = id ?? patternId(this.service, tokens);
    let newId = base;
    // Two first lines that mask alike but never matched (one was evicted, or merged away) get distinct ids.
    for (let n = 2; this.byId.has(newId); n++) newId = `${base}-${n}`;
    const created = template(newId, tokens, count, this.seq++);
    this.aliases.delete(newId);
    this.insert(created, false);
    const survivor = found.sibling && this.addSibling(found.sibling, found.position, created);
    return { id: (survivor ?? created).id, created: true };
  }

  private remember(key: string, template: Template, index: LengthIndex): void {
    if (key.length > MAX_CACHED_KEY) return;
    if (this.exact.size >= MAX_CACHED) this.exact.clear();
    this.exact.set(key, { template, version: index.version });
  }

  private insert(t: Template, isProtected: boolean): void {
    this.byId.set(t.id, t);
    this.recency.add(t, isProtected);
    this.index(t.tokens.length).add(t);
  }

  private remove(t: Template): void {
    this.byId.delete(t.id);
    this.recency.remove(t);
    this.index(t.tokens.length).remove(t);
    // The words a sibling group has seen stay evidence after one of its members goes.
    for (const g of t.siblings.values()) g.members.splice(g.members.indexOf(t), 1);
    t.siblings.clear();
  }

  /** Widens `t` to cover `tokens`: where they differ it takes the wildcard. */
  private generalise(t: Template, tokens: readonly string[]): void {
    let changed = false;
    const index = this.index(t.tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      if (covers(t.tokens[i]!, tokens[i]!)) continue;
      if (!changed) index.remove(t);
      changed = true;
      t.tokens[i] = generalise(t.tokens[i]!, tokens[i]!);
      t.values[i] = true;
    }
    if (changed) index.add(t);
  }

  /** Records `created` as differing from `sibling` in one word; merges the group once it has enough words. */
  private addSibling(sibling: Template, position: number, created: Template): Template | undefined {
    let group = sibling.siblings.get(position);
    if (!group) {
      group = { position, words: new Set([sibling.tokens[position]!]), members: [sibling] };
      sibling.siblings.set(position, group);
    }
    group.words.add(created.tokens[position]!);
    group.members.push(created);
    created.siblings.set(position, group);
    if (group.words.size < this.config.siblingWords) return undefined;

    // The smallest id survives, so that miners merging the same group agree on it.
    const members = [...group.members];
    const survivor = members.reduce((a, b) => (b.id < a.id ? b : a));
    for (const m of members) m.siblings.delete(position);
    for (const m of members) {
      if (m === survivor) continue;
      this.generalise(survivor, m.tokens);
      survivor.count += m.count;
      this.remove(m);
      this.aliases.set(m.id, survivor.id);
    }
    this.trimAliases();
    this.recency.touch(survivor);
    return survivor;
  }

  // Aliases matter for ids handed out recently; the store is where they are kept for good.
  private trimAliases(): void {
    const max = this.config.maxTemplates * 4;
    for (const from of this.aliases.keys()) {
      if (this.aliases.size <= max) break;
      this.aliases.delete(from);
    }
  }
}

function template(id: string, tokens: readonly string[], count: number, seq: number): Template {
  return {
    id,
    tokens: [...tokens],
    values: tokens.map(isValueToken),
    count,
    seq,
    siblings: new Map(),
    needed: 0,
    mark: 0,
    hits: 0,
  };
}
