import type { Level } from "../data/logs.ts";

/** The seed's colours: blue INFO, yellow WARNING, red ERROR, purple CRITICAL (shades chosen for AA contrast). */
export function LevelBadge(props: { level: Level }) {
  return <span class={`level level-${props.level.toLowerCase()}`}>{props.level}</span>;
}

/** Chart colours per level (the seed's -600 shades; lines and fills, not text). */
export const LEVEL_COLORS: Record<Level, string> = {
  DEBUG: "#6b7280",
  INFO: "#2563eb",
  WARNING: "#ca8a04",
  ERROR: "#dc2626",
  CRITICAL: "#9333ea",
};
