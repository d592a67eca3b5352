// One sampler per process and per set of engine options, shared by every tracker and task.
import { resolveEngineOptions, type EngineOptions } from './options.js';
import { Sampler } from './sampler.js';

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
