/** How long one stretch of CPU work on a request may hold the event loop before others get a turn. */
export const SLICE_MS = 10;

/** Lets other work on the event loop run (timers and I/O included), on every runtime. */
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * For long loops over one request's data (parsing, validating): call the returned function between
 * steps; once the current stretch has held the event loop for `sliceMs`, it gives way to other work
 * before resolving. Cheap otherwise (one clock read).
 */
export function eventLoopSlicer(sliceMs = SLICE_MS): () => Promise<void> | undefined {
  let started = performance.now();
  return () => {
    if (performance.now() - started < sliceMs) return undefined;
    return pause().then(() => {
      started = performance.now();
    });
  };
}
