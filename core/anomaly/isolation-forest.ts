/**
 * Isolation forest (Liu, Ting & Zhou, 2008): random axis-parallel splits isolate an outlier in
 * fewer steps than a normal point. Seeded, so the same data and seed give the same scores.
 */

/** mulberry32: a small, fast, seeded PRNG returning [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Average path length of an unsuccessful search in a binary search tree of n points. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

export interface IsolationForestOptions {
  /** Trees in the forest. Default 50. */
  trees?: number;
  /** Points drawn (without replacement) for each tree. Default 64. */
  sampleSize?: number;
  seed?: number;
}

/**
 * Trees are stored flat (one typed array per field, node 0 the root of each tree's range) so that
 * scoring a point walks numbers, not objects: it runs for every point of every series.
 */
export class IsolationForest {
  private readonly dim: Int32Array;
  private readonly split: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** Leaf: the path-length adjustment for its size; split nodes: unused. */
  private readonly leafAdjust: Float64Array;
  private readonly roots: number[] = [];
  private readonly norm: number;
  private nodes = 0;

  constructor(data: number[][], opts: IsolationForestOptions = {}) {
    const trees = opts.trees ?? 50;
    const psi = Math.min(opts.sampleSize ?? 64, data.length);
    const random = seededRandom(opts.seed ?? 1);
    const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
    this.norm = averagePathLength(psi);
    const capacity = trees * Math.max(1, 2 * psi - 1);
    this.dim = new Int32Array(capacity).fill(-1);
    this.split = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.leafAdjust = new Float64Array(capacity);
    const idx = Int32Array.from(data, (_, i) => i);
    const rows = new Int32Array(psi);
    for (let t = 0; t < trees && psi > 0; t++) {
      // Partial Fisher–Yates: the first psi entries are a sample without replacement.
      for (let i = 0; i < psi; i++) {
        const j = i + Math.floor(random() * (idx.length - i));
        const tmp = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = tmp;
      }
      rows.set(idx.subarray(0, psi));
      this.roots.push(this.build(data, rows, 0, psi, 0, maxDepth, random));
    }
  }

  /** Grow a subtree over rows[lo, hi), partitioning them in place. */
  private build(
    data: number[][],
    rows: Int32Array,
    lo: number,
    hi: number,
    depth: number,
    maxDepth: number,
    random: () => number,
  ): number {
    const node = this.nodes++;
    const size = hi - lo;
    this.leafAdjust[node] = averagePathLength(size);
    if (depth >= maxDepth || size <= 1) return node;
    const dims = data[rows[lo]!]!.length;
    // Pick among dimensions that still vary; none left means the points are identical.
    const start = Math.floor(random() * dims);
    for (let k = 0; k < dims; k++) {
      const dim = (start + k) % dims;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = lo; i < hi; i++) {
        const v = data[rows[i]!]![dim]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max > min) {
        const split = min + random() * (max - min);
        let mid = lo;
        for (let i = lo; i < hi; i++) {
          if (data[rows[i]!]![dim]! < split) {
            const tmp = rows[i]!;
            rows[i] = rows[mid]!;
            rows[mid] = tmp;
            mid++;
          }
        }
        this.dim[node] = dim;
        this.split[node] = split;
        this.left[node] = this.build(data, rows, lo, mid, depth + 1, maxDepth, random);
        this.right[node] = this.build(data, rows, mid, hi, depth + 1, maxDepth, random);
        return node;
      }
    }
    return node;
  }

  /** In (0, 1]: about 0.5 or less for ordinary points, towards 1 for points isolated early. */
  score(point: number[]): number {
    if (this.roots.length === 0 || this.norm === 0) return 0.5;
    let total = 0;
    for (const root of this.roots) {
      let n = root;
      let depth = 0;
      while (this.dim[n]! >= 0) {
        n = point[this.dim[n]!]! < this.split[n]! ? this.left[n]! : this.right[n]!;
        depth++;
      }
      total += depth + this.leafAdjust[n]!;
    }
    return 2 ** (-total / this.roots.length / this.norm);
  }
}
