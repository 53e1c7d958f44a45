/**
 * An online template miner for one service: every message is masked (mask.ts) and either joins the
 * template it matches (which generalises where they differ) or starts a new one. Pure and deterministic:
 * the same messages in the same order give the same templates and ids.
 *
 * What it learned from the published parsers, and where it departs from them:
 * - Drain (He et al., ICWS 2017): templates of one token count, a similarity threshold, the first token as
 *   a key. Here the first token keys the search only when it is a word; a first token that is a value
 *   (a host, a class name) matches any.
 * - Brain, Logram: constants are the frequent words. Lines that differ in one word (`VM Started` /
 *   `VM Paused`, `GET` / `POST`) are kept apart as siblings until that position has shown
 *   `siblingWords` distinct words; then the siblings merge into one template with a wildcard there. Lines
 *   that differ in values (ids, hosts, paths) join at once.
 * - Merges are aliases, never renames: a stored id stays valid and resolves to the template it joined.
 */
import { covers, generalise, isValueToken, maskTokens, templateText, WILDCARD } from "./mask.ts";
import { patternId } from "./pattern-id.ts";
import { Recency } from "./recency.ts";
import { type MinerSnapshot, MinerSnapshotSchema } from "./snapshot.ts";

export interface MinerConfig {
  /** Share of a line's tokens equal to a template's for the line to join it (Drain's threshold). */
  similarity: number;
  /** Distinct words seen in one position of otherwise matching templates before that position is a variable. */
  siblingWords: number;
  /**
   * Templates kept for the service. Past it the least recently seen template is evicted (see Recency);
   * its id stays valid in storage, and a line like it later starts a template again (with the same id
   * when that line masks the same as the first one did).
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

interface Template {
  id: string;
  tokens: string[];
  /** isValueToken of each token, kept because every comparison asks. */
  values: boolean[];
  count: number;
  /** Creation order: ties between equally good templates go to the older. */
  seq: number;
  siblings: Map<number, SiblingGroup>;
}

/** Templates that differ in the words of one position only. */
interface SiblingGroup {
  position: number;
  words: Set<string>;
  members: Template[];
}

/** The templates of one token count, found by first token. */
interface Bucket {
  byFirst: Map<string, Template[]>;
  /** Templates whose first token is a value or the wildcard (and those of no tokens): any line may match. */
  anyFirst: Template[];
  /** Bumped whenever a template of the bucket generalises or goes, so cached matches are re-checked. */
  version: number;
}

const MAX_CACHED = 4096;
const MAX_ALIAS_HOPS = 64;

export class PatternMiner {
  private readonly config: MinerConfig;
  private readonly buckets = new Map<number, Bucket>();
  private readonly byId = new Map<string, Template>();
  private readonly recency: Recency<Template>;
  private readonly aliases = new Map<string, string>();
  // Masked line → the template it matched without generalising, valid while its bucket's version holds.
  // A pure cache: a hit gives what a full search would.
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
    const bucket = this.bucket(tokens.length);
    const hit = this.exact.get(key);
    if (hit && hit.version === bucket.version && this.byId.get(hit.template.id) === hit.template) {
      hit.template.count++;
      this.recency.touch(hit.template);
      return { id: hit.template.id, created: false };
    }
    return this.place(tokens, key, bucket, null, 1);
  }

  /** The id a stored id stands for now: itself, or the template it was merged into. */
  resolve(id: string): string {
    return resolveIn(this.aliases, id);
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
    for (const t of s.templates) {
      const template: Template = {
        id: t.id,
        tokens: [...t.tokens],
        values: t.tokens.map(isValueToken),
        count: t.count,
        seq: t.seq,
        siblings: new Map(),
      };
      miner.insert(template, t.protected);
    }
    for (const g of s.siblings) {
      const members = g.members.flatMap((id) => miner.byId.get(id) ?? []);
      const group: SiblingGroup = { position: g.position, words: new Set(g.words), members };
      for (const m of members) m.siblings.set(g.position, group);
    }
    miner.seq = s.seq;
    return miner;
  }

  /**
   * Reconciles with another miner of the same service (in a cluster: every indexer's snapshot, shared
   * through the store). Both sets of templates are placed afresh, smallest id first, by the same rules
   * as lines; a template that joins another leaves an alias to it. The result depends only on the union
   * of the two states, so two miners that absorb each other's snapshots end in the same state and give
   * every template, and every id either has handed out, one id.
   */
  absorb(peer: unknown): void {
    const other = MinerSnapshotSchema.parse(peer);
    if (other.service !== this.service)
      throw new Error(`cannot absorb ${other.service} into ${this.service}`);
    const mine = this.snapshot();
    // Where the two disagree on what an id was merged into, the smaller target wins (either way the ids
    // end up resolving together once the targets are placed).
    const aliases = new Map(
      [...mine.aliases, ...other.aliases].sort(([a, x], [b, y]) => cmp(a, b) || cmp(y, x)),
    );
    const union = new Map<string, Placed>();
    for (const t of [...mine.templates, ...other.templates]) {
      const seen = union.get(t.id);
      if (!seen) union.set(t.id, { tokens: [...t.tokens], count: t.count, protected: t.protected });
      else widen(seen, t);
    }
    // A template one miner has already merged away folds into the template it was merged into.
    for (const [id, t] of union) {
      if (!aliases.has(id)) continue;
      const target = union.get(resolveIn(aliases, id));
      if (target && target !== t && target.tokens.length === t.tokens.length) {
        widen(target, t);
        union.delete(id);
      } else aliases.delete(id);
    }
    // Placed again, a template may join one that has grown since it was placed: repeat until nothing
    // joins, so that absorbing the same snapshot again changes nothing.
    for (;;) {
      this.clear();
      for (const [from, to] of aliases) this.aliases.set(from, to);
      for (const id of [...union.keys()].sort()) {
        const t = union.get(id)!;
        const placed = this.place(t.tokens, t.tokens.join(" "), this.bucket(t.tokens.length), id, t.count);
        if (t.protected) this.recency.touch(this.byId.get(placed.id)!);
      }
      if (this.byId.size === union.size) break;
      union.clear();
      for (const t of this.recency.entries()) {
        union.set(t.id, { tokens: t.tokens, count: t.count, protected: this.recency.isProtected(t) });
      }
      aliases.clear();
      for (const [from, to] of this.aliases) aliases.set(from, to);
    }
    // In id order, like everything else absorb leaves, so that the result depends on the union alone.
    const sorted = [...this.aliases].sort(([a], [b]) => cmp(a, b));
    this.aliases.clear();
    for (const [from, to] of sorted) this.aliases.set(from, to);
  }

  private clear(): void {
    this.buckets.clear();
    this.byId.clear();
    this.aliases.clear();
    this.exact.clear();
    this.recency.clear();
    this.seq = 0;
  }

  private bucket(length: number): Bucket {
    let b = this.buckets.get(length);
    if (!b) {
      b = { byFirst: new Map(), anyFirst: [], version: 0 };
      this.buckets.set(length, b);
    }
    return b;
  }

  /**
   * Matches masked tokens against the templates of their length: joins the best one, or starts a new
   * template (`id` when absorbing a peer's, else derived from the tokens) and records it as a sibling of
   * the best one that differs in a single word.
   */
  private place(
    tokens: string[],
    key: string,
    bucket: Bucket,
    id: string | null,
    count: number,
  ): PatternMatch {
    const L = tokens.length;
    const lineValue = new Int8Array(L).fill(-1);
    let join: Template | undefined;
    let joinSim = -1;
    let sibling: Template | undefined;
    let siblingSim = -1;
    let siblingPos = -1;
    const first = tokens[0];
    const candidates =
      first === undefined || isValueToken(first)
        ? [bucket.anyFirst, ...bucket.byFirst.values()]
        : [bucket.byFirst.get(first) ?? [], bucket.anyFirst];
    for (const list of candidates) {
      for (const t of list) {
        let same = 0;
        let differ = 0;
        let wordPos = -1;
        for (let i = 0; i < L; i++) {
          const a = t.tokens[i]!;
          const m = tokens[i]!;
          if (a === m) {
            if (a !== WILDCARD) same++;
            continue;
          }
          if (covers(a, m)) continue;
          differ++;
          if (t.values[i]) continue;
          if (lineValue[i] === -1) lineValue[i] = isValueToken(m) ? 1 : 0;
          if (lineValue[i] === 1) continue;
          if (wordPos >= 0) {
            wordPos = -2;
            break;
          }
          wordPos = i;
        }
        if (wordPos === -2) continue;
        // A line the template already covers belongs to it, however few constants they share (but a
        // template of wildcards only takes lines of values only, not every line of its length).
        const sim = differ === 0 && (same > 0 || allValues(tokens)) ? 2 : L ? same / L : 1;
        if (sim < this.config.similarity) continue;
        if (wordPos < 0) {
          if (sim > joinSim || (sim === joinSim && t.seq < join!.seq)) {
            join = t;
            joinSim = sim;
          }
        } else if (sim > siblingSim || (sim === siblingSim && t.seq < sibling!.seq)) {
          sibling = t;
          siblingSim = sim;
          siblingPos = wordPos;
        }
      }
    }

    if (join) {
      this.generalise(join, tokens, bucket);
      join.count += count;
      this.recency.touch(join);
      if (id !== null && id !== join.id) this.aliases.set(id, join.id);
      else if (joinSim === 2) this.remember(key, join, bucket);
      return { id: join.id, created: false };
    }

    while (this.byId.size >= this.config.maxTemplates) this.evict(this.recency.victim()!);
    let newId = id ?? patternId(this.service, tokens);
    // Two first lines that mask alike but never matched (one was evicted, or merged away) get distinct ids.
    for (let n = 2; this.byId.has(newId); n++) newId = `${id ?? patternId(this.service, tokens)}-${n}`;
    const created: Template = {
      id: newId,
      tokens: [...tokens],
      values: tokens.map(isValueToken),
      count,
      seq: this.seq++,
      siblings: new Map(),
    };
    this.aliases.delete(newId);
    this.insert(created, false);
    if (sibling) {
      const merged = this.addSibling(sibling, siblingPos, created);
      if (merged) return { id: merged.id, created: true };
    }
    return { id: created.id, created: true };
  }

  private remember(key: string, template: Template, bucket: Bucket): void {
    if (this.exact.size >= MAX_CACHED) this.exact.clear();
    this.exact.set(key, { template, version: bucket.version });
  }

  private insert(t: Template, isProtected: boolean): void {
    this.byId.set(t.id, t);
    this.recency.add(t, isProtected);
    this.index(t, this.bucket(t.tokens.length));
  }

  private index(t: Template, bucket: Bucket): void {
    const first = t.tokens[0];
    if (first === undefined || t.values[0]) bucket.anyFirst.push(t);
    else {
      const list = bucket.byFirst.get(first);
      if (list) list.push(t);
      else bucket.byFirst.set(first, [t]);
    }
  }

  private unindex(t: Template, bucket: Bucket): void {
    const first = t.tokens[0];
    const list = first === undefined || t.values[0] ? bucket.anyFirst : bucket.byFirst.get(first);
    if (!list) return;
    const at = list.indexOf(t);
    if (at >= 0) list.splice(at, 1);
    if (!list.length && first !== undefined && !t.values[0]) bucket.byFirst.delete(first);
    bucket.version++;
  }

  /** Widens `t` to cover `tokens` (positions where they differ become wildcards). */
  private generalise(t: Template, tokens: readonly string[], bucket: Bucket): void {
    let changed = false;
    for (let i = 0; i < tokens.length; i++) {
      if (covers(t.tokens[i]!, tokens[i]!)) continue;
      if (!changed) {
        this.unindex(t, bucket);
        changed = true;
      }
      t.tokens[i] = generalise(t.tokens[i]!, tokens[i]!);
      t.values[i] = true;
    }
    if (changed) this.index(t, bucket);
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
    const members = group.members.filter((m) => this.byId.get(m.id) === m);
    const survivor = members.reduce((a, b) => (b.id < a.id ? b : a));
    for (const m of members) m.siblings.delete(position);
    const bucket = this.bucket(survivor.tokens.length);
    for (const m of members) {
      if (m === survivor) continue;
      this.generalise(survivor, m.tokens, bucket);
      survivor.count += m.count;
      this.remove(m);
      this.aliases.set(m.id, survivor.id);
    }
    this.trimAliases();
    this.recency.touch(survivor);
    return survivor;
  }

  private evict(t: Template): void {
    this.remove(t);
  }

  private remove(t: Template): void {
    this.byId.delete(t.id);
    this.recency.remove(t);
    this.unindex(t, this.bucket(t.tokens.length));
    // The words a sibling group has seen stay evidence after one of its members goes.
    for (const g of t.siblings.values()) g.members.splice(g.members.indexOf(t), 1);
    t.siblings.clear();
  }

  // Aliases matter to ids handed out recently; the store keeps them for good. Oldest go first.
  private trimAliases(): void {
    const max = this.config.maxTemplates * 4;
    for (const from of this.aliases.keys()) {
      if (this.aliases.size <= max) break;
      this.aliases.delete(from);
    }
  }
}

function allValues(tokens: readonly string[]): boolean {
  for (const t of tokens) if (t !== WILDCARD) return false;
  return true;
}

/** A template on its way into a miner being rebuilt. */
interface Placed {
  tokens: string[];
  count: number;
  protected: boolean;
}

/** One template grown apart in two miners: what either has generalised stays general. */
function widen(into: Placed, from: Placed): void {
  if (into.tokens.length !== from.tokens.length) return;
  into.tokens = into.tokens.map((tok, i) =>
    covers(tok, from.tokens[i]!) ? tok : generalise(tok, from.tokens[i]!),
  );
  // Counts are each miner's own view (the store counts events); the larger survives repeated syncs.
  into.count = Math.max(into.count, from.count);
  into.protected ||= from.protected;
}

function resolveIn(aliases: ReadonlyMap<string, string>, id: string): string {
  let cur = id;
  for (let hops = 0; hops < MAX_ALIAS_HOPS; hops++) {
    const next = aliases.get(cur);
    if (next === undefined) return cur;
    cur = next;
  }
  return cur;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
