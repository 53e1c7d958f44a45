/**
 * Brotli and gzip copies of the built dashboard's text files (`x.js.br`, `x.js.gz` beside `x.js`), at
 * the highest levels, made once at build time: the API serves them to browsers that accept them
 * (workers/bun/assets.ts) instead of compressing each answer again.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const TEXT = /\.(js|mjs|css|html|svg|json|txt|map)$/;

export function precompress(dir: string): { files: number; raw: number; br: number; gz: number } {
  const out = { files: 0, raw: 0, br: 0, gz: 0 };
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      const sub = precompress(path);
      out.files += sub.files;
      out.raw += sub.raw;
      out.br += sub.br;
      out.gz += sub.gz;
      continue;
    }
    if (!TEXT.test(name)) continue;
    const data = readFileSync(path);
    const br = brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
    const gz = gzipSync(data, { level: 9 });
    // A copy no smaller than the file is of no use (tiny files).
    if (br.length < data.length) writeFileSync(`${path}.br`, br);
    if (gz.length < data.length) writeFileSync(`${path}.gz`, gz);
    out.files++;
    out.raw += data.length;
    out.br += Math.min(br.length, data.length);
    out.gz += Math.min(gz.length, data.length);
  }
  return out;
}
