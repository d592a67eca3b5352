// detectHardware(): what a tracker of this configuration would measure, and why (as `codecarbon detect` says).
import type { ConfigSources } from './config/resolve.js';
import { resolveEngineOptions, type EngineOptions } from './sampler/options.js';
import { planHardware, type HardwarePlan } from './sources/detect.js';

/**
 * The hardware plan for the configuration a tracker would resolve here (arguments, CODECARBON_*
 * variables, ./.codecarbon.config, ~/.codecarbon.config, defaults). Reads files and asks NVML;
 * starts nothing.
 * @throws ConfigError for a bad value, or gpu_ids that match no GPU.
 */
export function detectHardware(options: Partial<EngineOptions> = {}, sources?: ConfigSources): HardwarePlan {
  return planHardware(resolveEngineOptions(options, sources));
}
