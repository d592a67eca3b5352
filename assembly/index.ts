// The integrator module's exports: counter deltas, per-tick integration, batch interpolation.
export { counterDelta } from "./wrap";
export { step } from "./integrate";
export { interpolate, sumRuns } from "./interpolate";
export { reconcile } from "./reconcile";

/** First free byte of linear memory, where the host lays out its buffers. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
