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

type Node =
  | { leaf: true; size: number }
  | { leaf: false; dim: number; split: number; left: Node; right: Node };

export interface IsolationForestOptions {
  /** Trees in the forest. Default 50. */
  trees?: number;
  /** Points drawn (without replacement) for each tree. Default 64. */
  sampleSize?: number;
  seed?: number;
}

export class IsolationForest {
  private readonly roots: Node[] = [];
  private readonly norm: number;

  constructor(data: number[][], opts: IsolationForestOptions = {}) {
    const trees = opts.trees ?? 50;
    const psi = Math.min(opts.sampleSize ?? 64, data.length);
    const random = seededRandom(opts.seed ?? 1);
    const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
    this.norm = averagePathLength(psi);
    const idx = data.map((_, i) => i);
    for (let t = 0; t < trees; t++) {
      // Partial Fisher–Yates: the first psi entries are a sample without replacement.
      for (let i = 0; i < psi; i++) {
        const j = i + Math.floor(random() * (idx.length - i));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
      const sample = idx.slice(0, psi).map((i) => data[i]!);
      this.roots.push(build(sample, 0, maxDepth, random));
    }
  }

  /** In (0, 1]: about 0.5 or less for ordinary points, towards 1 for points isolated early. */
  score(point: number[]): number {
    if (this.roots.length === 0 || this.norm === 0) return 0.5;
    let total = 0;
    for (const root of this.roots) total += pathLength(root, point, 0);
    return 2 ** (-total / this.roots.length / this.norm);
  }
}

function build(points: number[][], depth: number, maxDepth: number, random: () => number): Node {
  if (depth >= maxDepth || points.length <= 1) return { leaf: true, size: points.length };
  const dims = points[0]!.length;
  // Pick among dimensions that still vary; none left means the points are identical.
  const start = Math.floor(random() * dims);
  for (let k = 0; k < dims; k++) {
    const dim = (start + k) % dims;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const p of points) {
      const v = p[dim]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max > min) {
      const split = min + random() * (max - min);
      const left = points.filter((p) => p[dim]! < split);
      const right = points.filter((p) => p[dim]! >= split);
      return {
        leaf: false,
        dim,
        split,
        left: build(left, depth + 1, maxDepth, random),
        right: build(right, depth + 1, maxDepth, random),
      };
    }
  }
  return { leaf: true, size: points.length };
}

function pathLength(node: Node, point: number[], depth: number): number {
  let n = node;
  let d = depth;
  while (!n.leaf) {
    n = point[n.dim]! < n.split ? n.left : n.right;
    d++;
  }
  return d + averagePathLength(n.size);
}
