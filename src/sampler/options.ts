// The sampling engine's options: defaults, CODECARBON_* environment variables, validation.
import { readBoolean, readNumber } from '../config/values.js';
import { ConfigError } from '../errors.js';
import { defaultRaplDir } from '../sources/rapl.js';

/** Everything the sampler thread needs to find and read its sources. */
export interface EngineOptions {
  /** Powercap root (rapl_dir). */
  readonly raplDir: string;
  readonly raplPreferPsys: boolean;
  /** CPU TDP in W; skips RAPL and estimates with this TDP (force_cpu_power). */
  readonly forceCpuPower: number | null;
  /** Constant RAM power in W (force_ram_power). */
  readonly forceRamPower: number | null;
  readonly forceModeCpuLoad: boolean;
  readonly trackingMode: 'machine' | 'process';
  /** Sampling period in ms. */
  readonly samplePeriodMs: number;
  /** Samples kept in the shared ring. */
  readonly ringCapacity: number;
  /** Where /proc and the cgroup v2 tree are (tests point them at fakes). */
  readonly procDir: string;
  readonly cgroupDir: string;
  /** Root of the tracked process tree in process mode. */
  readonly pid: number;
  /** libnvidia-ml to load (nvml_library). */
  readonly nvmlLibrary: string;
  /** gpu_ids: comma-separated indices, UUIDs, MIG UUIDs or UUID prefixes; null for all (or CUDA_VISIBLE_DEVICES). */
  readonly gpuIds: string | null;
  /** CUDA_VISIBLE_DEVICES of the tracked program (null when unset; "" hides every GPU). */
  readonly cudaVisibleDevices: string | null;
  /** Wanted period of each GPU's energy counter readings, ms (lengthened to keep them under 0.5 % of a core). */
  readonly gpuCounterPeriodMs: number;
  /**
   * How long one source read (or the sampler's hardware discovery) may take, ms: past it the sampler
   * thread is taken as stuck (a driver that never answers), and stop(), flush() and exit go on without it.
   */
  readonly sourceTimeoutMs: number;
}

export const engineDefaults: EngineOptions = {
  raplDir: defaultRaplDir,
  raplPreferPsys: false,
  forceCpuPower: null,
  forceRamPower: null,
  forceModeCpuLoad: false,
  trackingMode: 'machine',
  samplePeriodMs: 100,
  ringCapacity: 16384,
  procDir: '/proc',
  cgroupDir: '/sys/fs/cgroup',
  pid: process.pid,
  nvmlLibrary: 'libnvidia-ml.so.1',
  gpuIds: null,
  cudaVisibleDevices: null,
  gpuCounterPeriodMs: 1000,
  sourceTimeoutMs: 2000,
};

type Kind = 'string' | 'boolean' | 'positive' | 'mode' | 'integer' | 'text';
const keys: Record<keyof EngineOptions, { ini: string; kind: Kind }> = {
  raplDir: { ini: 'rapl_dir', kind: 'string' },
  raplPreferPsys: { ini: 'rapl_prefer_psys', kind: 'boolean' },
  forceCpuPower: { ini: 'force_cpu_power', kind: 'positive' },
  forceRamPower: { ini: 'force_ram_power', kind: 'positive' },
  forceModeCpuLoad: { ini: 'force_mode_cpu_load', kind: 'boolean' },
  trackingMode: { ini: 'tracking_mode', kind: 'mode' },
  samplePeriodMs: { ini: 'sample_period_ms', kind: 'positive' },
  ringCapacity: { ini: 'ring_capacity', kind: 'integer' },
  procDir: { ini: 'proc_dir', kind: 'string' },
  cgroupDir: { ini: 'cgroup_dir', kind: 'string' },
  pid: { ini: 'pid', kind: 'integer' },
  nvmlLibrary: { ini: 'nvml_library', kind: 'string' },
  gpuIds: { ini: 'gpu_ids', kind: 'text' },
  cudaVisibleDevices: { ini: 'cuda_visible_devices', kind: 'text' },
  gpuCounterPeriodMs: { ini: 'gpu_counter_period_ms', kind: 'positive' },
  sourceTimeoutMs: { ini: 'source_timeout_ms', kind: 'positive' },
};

/** Converts one value to its option's type, or throws a ConfigError naming key and origin. */
function convert(key: string, kind: Kind, value: unknown, origin: string): unknown {
  const text = typeof value === 'string' ? value.trim() : value;
  switch (kind) {
    case 'text':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' && Number.isInteger(value)) return String(value);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join(',');
      throw new ConfigError(key, origin, `expected text (e.g. "0,1" or "GPU-5f1c…"), got ${JSON.stringify(value)}`);
    case 'string':
      if (typeof text === 'string' && text !== '') return text;
      throw new ConfigError(key, origin, `expected a non-empty path, got ${JSON.stringify(value)}`);
    case 'boolean': {
      const b = readBoolean(text);
      if (b !== undefined) return b;
      throw new ConfigError(key, origin, `expected true/false (or 1/0, yes/no, on/off), got ${JSON.stringify(value)}`);
    }
    case 'mode':
      if (text === 'machine' || text === 'process') return text;
      throw new ConfigError(key, origin, `expected "machine" or "process", got ${JSON.stringify(value)}`);
    case 'positive':
    case 'integer': {
      const n = readNumber(text);
      if (n !== undefined && n > 0 && (kind === 'positive' || Number.isInteger(n))) return n;
      throw new ConfigError(key, origin,
        `expected a ${kind === 'integer' ? 'positive integer' : 'positive number'}, got ${JSON.stringify(value)}`);
    }
  }
}

/**
 * Resolves engine options: arguments > CODECARBON_<KEY> environment variables > defaults.
 * @throws ConfigError naming the key, where it came from and the expected form.
 */
export function resolveEngineOptions(given: Partial<EngineOptions> = {}, env: NodeJS.ProcessEnv = process.env): EngineOptions {
  const out: Record<string, unknown> = { ...engineDefaults };
  for (const [name, { ini, kind }] of Object.entries(keys)) {
    const envName = `CODECARBON_${ini.toUpperCase()}`;
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') out[name] = convert(ini, kind, fromEnv, `environment variable ${envName}`);
    if (name === 'cudaVisibleDevices' && env['CUDA_VISIBLE_DEVICES'] !== undefined) out[name] = env['CUDA_VISIBLE_DEVICES'];
    const arg = (given as Record<string, unknown>)[name];
    if (arg !== undefined && arg !== null) out[name] = convert(name, kind, arg, 'argument');
    else if (arg === null && (name === 'forceCpuPower' || name === 'forceRamPower' || name === 'gpuIds' || name === 'cudaVisibleDevices')) out[name] = null;
  }
  for (const name of Object.keys(given)) {
    if (!(name in keys)) throw new ConfigError(name, 'argument', `unknown option; known: ${Object.keys(keys).join(', ')}`);
  }
  return Object.freeze(out as unknown as EngineOptions);
}
