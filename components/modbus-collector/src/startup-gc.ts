/**
 * One full garbage collection once the collector polls (and after a reload), when node runs with --expose-gc as
 * the recipe starts it (ADR 0269): validating and resolving a large configuration leaves tens of MB of garbage in
 * the old generation, which V8 would otherwise collect only once the heap grows past its first limit, with the
 * readings of the first minutes of polling on top (the collector's peak RSS). A no-op without the flag.
 */
export function collectStartupGarbage(): void {
  const gc = (globalThis as { gc?: (opts?: unknown) => void }).gc;
  if (typeof gc === 'function') gc();
}
