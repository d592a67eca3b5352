// Where the sources look by default: shared with the configuration's key table (config/keys.ts),
// apart from it so that the sampler thread does not load the whole table (about 2 ms of its start).

/** Where Linux exposes powercap (RAPL) zones. */
export const defaultRaplDir = '/sys/class/powercap';

/** NVML's library, as the NVIDIA driver installs it. */
export const defaultNvmlLibrary = 'libnvidia-ml.so.1';
