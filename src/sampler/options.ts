// The sampling engine's options: a projection of the one configuration (src/config), whose key
// table holds their defaults, conversions and origins.
import { resolveConfig, type ConfigSources, type Resolved } from '../config/resolve.js';
import { camel, keySpecs } from '../config/keys.js';
import { ConfigError } from '../errors.js';

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
  /** Sampling period in ms, while marks are made (sample_period_ms). */
  readonly samplePeriodMs: number;
  /** The longest sampling period while no mark is made, ms (idle_sample_period_ms; shortened so that no counter wraps unseen). */
  readonly idleSamplePeriodMs: number;
  /** Samples kept in the shared ring (ring_capacity). */
  readonly ringCapacity: number;
  /** Where /proc and the cgroup v2 tree are (proc_dir, cgroup_dir; tests point them at fakes). */
  readonly procDir: string;
  readonly cgroupDir: string;
  /** Root of the tracked process tree in process mode (this process unless given). */
  readonly pid: number;
  /** libnvidia-ml to load (nvml_library). */
  readonly nvmlLibrary: string;
  /** gpu_ids: comma-separated indices, UUIDs, MIG UUIDs or UUID prefixes; null for all (or CUDA_VISIBLE_DEVICES). */
  readonly gpuIds: string | null;
  /** Where gpu_ids came from (an argument, which variable, which file), for its errors. */
  readonly gpuIdsOrigin: string;
  /** CUDA_VISIBLE_DEVICES of the tracked program (null when unset; "" hides every GPU). */
  readonly cudaVisibleDevices: string | null;
  /** SLURM_JOB_ID (or SLURM_JOBID) of the environment: the job whose CPUs and memory count; null outside SLURM. */
  readonly slurmJobId: string | null;
  /** Wanted period of each GPU's energy counter readings, ms (lengthened to keep them under 0.5 % of a core). */
  readonly gpuCounterPeriodMs: number;
  /**
   * How long one source read (or the sampler's hardware discovery) may take, ms: past it the sampler
   * thread is taken as stuck (a driver that never answers), and stop(), flush() and exit go on without it.
   */
  readonly sourceTimeoutMs: number;
}

/** The configuration keys the engine reads, by option name (camelCase). */
export const engineKeys: readonly string[] = keySpecs.filter((s) => s.engine === true).map((s) => camel(s.key));

/** Options made by engineOptionsFrom(): already resolved, taken as they are. */
const resolvedOptions = new WeakSet<EngineOptions>();

/** Engine options that are not configuration keys: the tracked process and the CUDA environment. */
const runtimeKeys = ['pid', 'cudaVisibleDevices', 'gpuIdsOrigin', 'slurmJobId'];

/**
 * The engine's options from a resolved configuration: its engine keys, this process's pid and the
 * environment's CUDA_VISIBLE_DEVICES (of `env`, the tracked program's).
 */
export function engineOptionsFrom(resolved: Resolved, env: NodeJS.ProcessEnv = process.env,
  runtime: { pid?: number; cudaVisibleDevices?: string | null } = {}): EngineOptions {
  const v = resolved.values;
  const gpuIds = v['gpuIds'] as readonly string[] | null;
  const out: Record<string, unknown> = Object.fromEntries(engineKeys.map((k) => [k, v[k]]));
  out['gpuIds'] = gpuIds === null ? null : gpuIds.join(',');
  out['gpuIdsOrigin'] = resolved.origins['gpuIds'] ?? 'default';
  out['pid'] = runtime.pid ?? process.pid;
  out['cudaVisibleDevices'] = runtime.cudaVisibleDevices !== undefined ? runtime.cudaVisibleDevices : env['CUDA_VISIBLE_DEVICES'] ?? null;
  out['slurmJobId'] = env['SLURM_JOB_ID'] || env['SLURM_JOBID'] || null;
  const options = Object.freeze(out as unknown as EngineOptions);
  resolvedOptions.add(options);
  return options;
}

/**
 * Resolves engine options as a tracker resolves its configuration (arguments > CODECARBON_*
 * environment variables > ./.codecarbon.config > ~/.codecarbon.config > defaults), so that the
 * same folder gives the same answer to a tracker, `detect` and a Sampler made by hand.
 * @throws ConfigError naming the key, where it came from and the expected form.
 */
export function resolveEngineOptions(given: Partial<EngineOptions> = {}, sources: ConfigSources = {}): EngineOptions {
  if (resolvedOptions.has(given as EngineOptions)) return given as EngineOptions;
  const args: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    if (runtimeKeys.includes(name)) continue;
    if (!engineKeys.includes(name)) {
      throw new ConfigError(name, 'argument', `unknown engine option; known: ${[...engineKeys, ...runtimeKeys].join(', ')}`);
    }
    args[name] = value;
  }
  const resolved = resolveConfig(args, sources);
  const origins = given.gpuIdsOrigin !== undefined ? { ...resolved.origins, gpuIds: given.gpuIdsOrigin } : resolved.origins;
  const pid = given.pid;
  if (pid !== undefined && !(Number.isInteger(pid) && pid > 0)) throw new ConfigError('pid', 'argument', `expected a process id, got ${pid}`);
  return engineOptionsFrom({ ...resolved, origins }, sources.env ?? process.env,
    { ...(pid !== undefined && { pid }), ...(given.cudaVisibleDevices !== undefined && { cudaVisibleDevices: given.cudaVisibleDevices }) });
}
