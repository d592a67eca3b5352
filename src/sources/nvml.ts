// The one file that owns koffi and NVML's prototypes: loads libnvidia-ml lazily, maps return codes
// to named errors, and reads into typed arrays so that a reading allocates nothing.
import { CodeCarbonError } from '../errors.js';

/** NVML's return codes (nvmlReturn_t), by name. */
export const nvmlReturnNames: Readonly<Record<number, string>> = {
  0: 'SUCCESS', 1: 'UNINITIALIZED', 2: 'INVALID_ARGUMENT', 3: 'NOT_SUPPORTED', 4: 'NO_PERMISSION',
  5: 'ALREADY_INITIALIZED', 6: 'NOT_FOUND', 7: 'INSUFFICIENT_SIZE', 8: 'INSUFFICIENT_POWER',
  9: 'DRIVER_NOT_LOADED', 10: 'TIMEOUT', 11: 'IRQ_ISSUE', 12: 'LIBRARY_NOT_FOUND', 13: 'FUNCTION_NOT_FOUND',
  14: 'CORRUPTED_INFOROM', 15: 'GPU_IS_LOST', 16: 'RESET_REQUIRED', 17: 'OPERATING_SYSTEM',
  18: 'LIB_RM_VERSION_MISMATCH', 19: 'IN_USE', 20: 'MEMORY', 21: 'NO_DATA', 22: 'VGPU_ECC_NOT_SUPPORTED',
  23: 'INSUFFICIENT_RESOURCES', 24: 'FREQ_NOT_SUPPORTED', 25: 'ARGUMENT_VERSION_MISMATCH', 26: 'DEPRECATED',
  27: 'NOT_READY', 28: 'GPU_NOT_FOUND', 29: 'INVALID_STATE', 999: 'UNKNOWN',
};

export const NVML_NOT_SUPPORTED = 3;
export const NVML_GPU_IS_LOST = 15;

/** A call to NVML that did not succeed: the function, the code's name and nvmlErrorString's text. */
export class NvmlError extends CodeCarbonError {
  override readonly name = 'NvmlError';

  constructor(readonly call: string, readonly nvmlCode: number, text: string) {
    super('ERR_CODECARBON_NVML', `${call} failed: NVML_ERROR_${nvmlReturnNames[nvmlCode] ?? `code ${nvmlCode}`} (${text})`);
  }
}

/** The library could not be loaded: names it, says why and how to point at another one. */
export class NvmlLoadError extends CodeCarbonError {
  override readonly name = 'NvmlLoadError';

  constructor(readonly library: string, reason: string) {
    super('ERR_CODECARBON_NVML_LOAD', `NVML library ${library} could not be loaded (${reason}); install the NVIDIA driver, or point nvml_library `
      + '(config key, or CODECARBON_NVML_LIBRARY) at libnvidia-ml.so.1, e.g. /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1');
  }
}

type Fn = (...args: unknown[]) => number;
interface Koffi {
  load(path: string): { func(proto: string): Fn; unload?(): void };
  opaque(name?: string): unknown;
  pointer(name: string, type: unknown): unknown;
  struct(name: string, fields: Record<string, string>): unknown;
}

let koffi: Koffi | undefined;

/** koffi, loaded on first use (never when this package is imported). */
function ffi(): Koffi {
  if (koffi === undefined) {
    // node:module too, on first use: the sampler thread without a GPU never loads it (0.35 ms of its cold start).
    koffi = process.getBuiltinModule('node:module').createRequire(import.meta.url)('koffi') as Koffi;
    koffi.pointer('nvmlDevice_t', koffi.opaque('nvmlDevice_st'));
    koffi.struct('nvmlUtilization_t', { gpu: 'unsigned int', memory: 'unsigned int' });
  }
  return koffi;
}

/** An opaque device handle. */
export type NvmlDevice = unknown;

/** An initialised NVML: nvmlInit_v2 on open, nvmlShutdown on close. Thread-safe per NVML's guide. */
export class Nvml {
  readonly #errorString: (code: number) => string;
  readonly #f: Record<string, Fn | undefined>;
  readonly #u32 = new Uint32Array(1);
  readonly #u32b = new Uint32Array(1);
  readonly #u64 = new BigUint64Array(1);
  readonly #handle: unknown[] = [null];
  readonly #text = Buffer.alloc(96);
  readonly #util = {};
  #open = true;

  private constructor(readonly library: string, lib: ReturnType<Koffi['load']>) {
    ffi();
    const fn = (proto: string, optional = false): Fn | undefined => {
      try {
        return lib.func(proto);
      } catch (e) {
        if (optional) return undefined;
        throw new NvmlLoadError(library, `it has no ${proto.replace(/^\S+ (\w+).*/, '$1')}: ${(e as Error).message}`);
      }
    };
    const errorString = fn('const char *nvmlErrorString(int result)')!;
    this.#errorString = (code) => String(errorString(code));
    this.#f = {
      init: fn('int nvmlInit_v2()'),
      shutdown: fn('int nvmlShutdown()'),
      count: fn('int nvmlDeviceGetCount_v2(uint32_t *count)'),
      byIndex: fn('int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ nvmlDevice_t *device)'),
      name: fn('int nvmlDeviceGetName(nvmlDevice_t device, uint8_t *name, unsigned int length)'),
      uuid: fn('int nvmlDeviceGetUUID(nvmlDevice_t device, uint8_t *uuid, unsigned int length)'),
      energy: fn('int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, uint64_t *energy)'),
      power: fn('int nvmlDeviceGetPowerUsage(nvmlDevice_t device, uint32_t *power)'),
      limit: fn('int nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, uint32_t *limit)', true),
      utilization: fn('int nvmlDeviceGetUtilizationRates(nvmlDevice_t device, _Out_ nvmlUtilization_t *utilization)', true),
      migMode: fn('int nvmlDeviceGetMigMode(nvmlDevice_t device, uint32_t *current, uint32_t *pending)', true),
      migCount: fn('int nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, uint32_t *count)', true),
      migByIndex: fn('int nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index, _Out_ nvmlDevice_t *mig)', true),
    };
    this.#check('nvmlInit_v2', this.#f['init']!());
  }

  /**
   * Loads `library` and initialises NVML.
   * @throws NvmlLoadError naming the library and the fix; NvmlError when nvmlInit_v2 fails.
   */
  static open(library: string): Nvml {
    let lib: ReturnType<Koffi['load']>;
    try {
      lib = ffi().load(library);
    } catch (e) {
      // koffi's message names neither the library nor what to do.
      throw new NvmlLoadError(library, (e as Error).message.replace(/^Failed to load shared library: /, ''));
    }
    return new Nvml(library, lib);
  }

  #check(call: string, code: number): void {
    if (code !== 0) throw new NvmlError(call, code, this.#errorString(code));
  }

  /** The return code of a call, 0 on success (for the sampler's reads, which never throw). */
  #call(name: string, ...args: unknown[]): number {
    const f = this.#f[name];
    return f === undefined ? 13 : f(...args);
  }

  count(): number {
    this.#check('nvmlDeviceGetCount_v2', this.#call('count', this.#u32));
    return this.#u32[0]!;
  }

  deviceByIndex(index: number): NvmlDevice {
    this.#check('nvmlDeviceGetHandleByIndex_v2', this.#call('byIndex', index, this.#handle));
    return this.#handle[0];
  }

  #string(call: string, name: string, device: NvmlDevice): string {
    this.#check(call, this.#call(name, device, this.#text, this.#text.length));
    const end = this.#text.indexOf(0);
    return this.#text.toString('utf8', 0, end < 0 ? this.#text.length : end);
  }

  name(device: NvmlDevice): string {
    return this.#string('nvmlDeviceGetName', 'name', device);
  }

  uuid(device: NvmlDevice): string {
    return this.#string('nvmlDeviceGetUUID', 'uuid', device);
  }

  /** Power limit in W, or null when NVML does not say. */
  powerLimitW(device: NvmlDevice): number | null {
    return this.#call('limit', device, this.#u32) === 0 ? this.#u32[0]! / 1000 : null;
  }

  /** The MIG instances' UUIDs of a GPU (empty when MIG is off or unknown to this driver). */
  migUuids(device: NvmlDevice): string[] {
    if (this.#call('migMode', device, this.#u32, this.#u32b) !== 0 || this.#u32[0] !== 1) return [];
    if (this.#call('migCount', device, this.#u32) !== 0) return [];
    const out: string[] = [];
    for (let i = 0; i < this.#u32[0]!; i++) {
      if (this.#call('migByIndex', device, i, this.#handle) !== 0) continue;
      try {
        out.push(this.uuid(this.#handle[0]));
      } catch {
        // an instance that cannot name itself cannot be selected either
      }
    }
    return out;
  }

  /** Total energy in mJ since the driver was loaded, exact as a bigint (it can exceed 2^53); or the return code. */
  energyMj(device: NvmlDevice): bigint | number {
    const r = this.#call('energy', device, this.#u64);
    return r === 0 ? this.#u64[0]! : r;
  }

  /** Power in W, or a negative return code. */
  powerW(device: NvmlDevice): number {
    const r = this.#call('power', device, this.#u32);
    return r === 0 ? this.#u32[0]! / 1000 : -r;
  }

  /** GPU utilisation in %, or a negative return code. */
  utilizationPercent(device: NvmlDevice): number {
    const u = this.#util as { gpu?: number };
    const r = this.#call('utilization', device, u);
    return r === 0 ? u.gpu! : -r;
  }

  /** nvmlErrorString for a return code. */
  errorText(code: number): string {
    return `NVML_ERROR_${nvmlReturnNames[code] ?? `code ${code}`} (${this.#errorString(code)})`;
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#call('shutdown');
  }
}
