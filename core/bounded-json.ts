/**
 * JSON text of a parsed JSON value, for keeping nested data as one attribute. Unlike JSON.stringify
 * its work is bounded: parts nested deeper than `maxDepth` are written as "…" (JSON.parse builds
 * nesting of any depth, and JSON.stringify of 50,000 levels spends seconds overflowing the stack),
 * and writing stops once the text is longer than `maxChars` (the text is then cut there).
 */
export function boundedJson(value: unknown, maxChars = Number.POSITIVE_INFINITY, maxDepth = 16): string {
  const parts: string[] = [];
  let length = 0;
  const put = (s: string): boolean => {
    parts.push(s);
    length += s.length;
    return length <= maxChars;
  };
  const write = (v: unknown, depth: number): boolean => {
    if (v === null || v === undefined) return put("null");
    switch (typeof v) {
      case "string":
        return put(JSON.stringify(v));
      case "number":
        return put(Number.isFinite(v) ? String(v) : "null");
      case "boolean":
        return put(v ? "true" : "false");
      case "object":
        break;
      default:
        return put("null");
    }
    if (depth >= maxDepth) return put('"…"');
    if (Array.isArray(v)) {
      if (!put("[")) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !put(",")) return false;
        if (!write(v[i], depth + 1)) return false;
      }
      return put("]");
    }
    if (!put("{")) return false;
    let first = true;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (!first && !put(",")) return false;
      first = false;
      if (!put(`${JSON.stringify(k)}:`)) return false;
      if (!write((v as Record<string, unknown>)[k], depth + 1)) return false;
    }
    return put("}");
  };
  write(value, 0);
  const text = parts.join("");
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}
