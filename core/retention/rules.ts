/**
 * Which per-service rule applies to a service: of the patterns matching it, the most specific. An exact
 * name beats any glob; of globs, the one with more literal characters (`checkout-eu-*` over
 * `checkout-*`); ties go to the alphabetically first pattern, so the choice never depends on order.
 */

const isGlob = (pattern: string) => pattern.includes("*");

/** Whether `service` matches `pattern` (`*`: any run of characters, possibly empty). */
export function matches(pattern: string, service: string): boolean {
  if (!isGlob(pattern)) return pattern === service;
  const parts = pattern.split("*");
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  if (service.length < first.length + last.length) return false;
  if (!service.startsWith(first) || !service.endsWith(last)) return false;
  let at = first.length;
  const end = service.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = service.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/** Sort key: negative when `a` is more specific than `b`. */
export function bySpecificity(a: string, b: string): number {
  const glob = Number(isGlob(a)) - Number(isGlob(b));
  if (glob !== 0) return glob;
  const literal = b.replaceAll("*", "").length - a.replaceAll("*", "").length;
  if (literal !== 0) return literal;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The most specific of `rules` matching `service`, or undefined. */
export function ruleFor<R extends { pattern: string }>(service: string, rules: readonly R[]): R | undefined {
  let best: R | undefined;
  for (const r of rules) {
    if (matches(r.pattern, service) && (!best || bySpecificity(r.pattern, best.pattern) < 0)) best = r;
  }
  return best;
}
