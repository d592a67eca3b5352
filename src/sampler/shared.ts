// One sampler per process and per set of engine options, shared by every tracker and task.
import { resolveEngineOptions, type EngineOptions } from './options.js';
import type { SamplerInternals } from './protocol.js';
import { Sampler, type SamplerErrorEvent, type SamplerWarningEvent } from './sampler.js';

const samplers = new Map<string, Sampler>();
let internals: { readonly id: number; readonly value: SamplerInternals } | null = null;
let internalsSet = 0;

/**
 * Tests only: samplers made from now on get these internals (a tick hook driving fake hardware);
 * null goes back to plain samplers. Not part of the package's API.
 */
export function setSamplerInternals(value: SamplerInternals | null): void {
  internals = value === null ? null : { id: ++internalsSet, value };
}

/** The running sampler for these options, created (not yet started) on first use, and again after one ended (a crash). */
export function sharedSampler(options: Partial<EngineOptions>): Sampler {
  const key = JSON.stringify(resolveEngineOptions(options)) + (internals === null ? '' : `#internals-${internals.id}`);
  let sampler = samplers.get(key);
  if (sampler === undefined || sampler.ended) {
    if (sampler !== undefined && !sampler.stopped) void sampler.stop(); // crashed: its pool goes
    sampler = new Sampler(options, internals?.value);
    samplers.set(key, sampler);
  }
  return sampler;
}

/** The shared sampler of each resolved options object (a tracker and its forks). */
const byOptions = new WeakMap<object, Sampler>();

/**
 * The sampler for a tracker's resolved options: looked up by the options object (forks share it)
 * rather than by their text, which a start() need not build again.
 */
export function samplerForOptions(options: object, engine: Partial<EngineOptions>): Sampler {
  let sampler = byOptions.get(options);
  if (sampler === undefined || sampler.ended) {
    sampler = sharedSampler(engine);
    byOptions.set(options, sampler);
  }
  return sampler;
}

/** Running trackers per sampler: one relay listener per sampler, O(1) to join and leave. */
const followers = new WeakMap<Sampler, Set<(message: string) => void>>();

/** Passes this sampler's warnings and errors to `fn` until unfollow(). */
export function follow(sampler: Sampler, fn: (message: string) => void): void {
  let set = followers.get(sampler);
  if (set === undefined) {
    const all = new Set<(message: string) => void>();
    set = all;
    followers.set(sampler, all);
    sampler.addEventListener('warning', (e) => all.forEach((f) => f((e as SamplerWarningEvent).message)));
    sampler.addEventListener('error', (e) => all.forEach((f) => f((e as SamplerErrorEvent).error.message)));
  }
  set.add(fn);
}

export function unfollow(sampler: Sampler, fn: (message: string) => void): void {
  followers.get(sampler)?.delete(fn);
}
