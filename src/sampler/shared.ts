// One sampler per process and per set of engine options, shared by every tracker and task.
import { resolveEngineOptions, type EngineOptions } from './options.js';
import { Sampler, type SamplerErrorEvent, type SamplerWarningEvent } from './sampler.js';

const samplers = new Map<string, Sampler>();

/** The running sampler for these options, created (not yet started) on first use. */
export function sharedSampler(options: Partial<EngineOptions>): Sampler {
  const key = JSON.stringify(resolveEngineOptions(options));
  let sampler = samplers.get(key);
  if (sampler === undefined || sampler.stopped) {
    sampler = new Sampler(options);
    samplers.set(key, sampler);
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
