// The fake libnvidia-ml (test/fixtures/fake-nvml.c), compiled once per test process with gcc.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './sysfs.js';

let built: string | undefined;

/**
 * Why the tests with the fake NVML are skipped (false when they run): it is C, built with gcc.
 * `.ci/run` installs it; a machine without it says so instead of failing on a spawn error.
 */
export const noGcc: string | false = spawnSync('gcc', ['--version']).error === undefined ? false
  : 'gcc is not installed (Debian package gcc): the fake NVML (test/fixtures/fake-nvml.c) cannot be built';

/** Path of the fake NVML shared library, built on first use. */
export function fakeNvmlLibrary(): string {
  if (built === undefined) {
    const source = fileURLToPath(new URL('../../../test/fixtures/fake-nvml.c', import.meta.url));
    const out = join(tempDir('cc-nvml-'), 'libfake-nvml.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', '-o', out, source]);
    built = out;
  }
  return built;
}

/**
 * Sets the fake's FAKE_NVML_* variables (read by its nvmlInit_v2) and clears the others, and
 * CUDA_VISIBLE_DEVICES (a machine's own would hide fake GPUs; tests that want it pass it).
 */
export function fakeNvmlEnv(vars: Record<string, string> = {}): void {
  for (const k of Object.keys(process.env)) if (k.startsWith('FAKE_NVML_') || k === 'CUDA_VISIBLE_DEVICES') delete process.env[k];
  Object.assign(process.env, vars);
}

/** The fake's devices, as NVML lists them. */
export const fakeGpus = [
  { index: 0, uuid: 'GPU-5f1c3a2e-8b7d-4e9f-a1c2-3d4e5f6a7b8c', name: 'NVIDIA H200', mig: 'MIG-0a1b2c3d-4e5f-5a6b-7c8d-9e0f1a2b3c4d' },
  { index: 1, uuid: 'GPU-9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', name: 'NVIDIA H200' },
  { index: 2, uuid: 'GPU-1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90', name: 'Tesla P100-PCIE-16GB' },
] as const;

/**
 * Energy of fake device `d` between two CLOCK_MONOTONIC times in ms: the scripted square wave
 * (periodMs, lowW, highW, phase 0 at monotonic 0), times 0.3 for the P100, plus 10 W per device index, in J.
 */
export function fakeTruthJ(d: number, t0Ms: number, t1Ms: number, square = { periodMs: 1000, lowW: 80, highW: 680 }): number {
  const e = (t: number): number => {
    const cycles = Math.floor(t / square.periodMs);
    const rest = t - cycles * square.periodMs;
    const half = square.periodMs / 2;
    const wave = cycles * half * (square.lowW + square.highW) + (rest < half ? rest * square.lowW : half * square.lowW + (rest - half) * square.highW);
    return (d === 2 ? 0.3 : 1) * wave + 10 * d * t;
  };
  return (e(t1Ms) - e(t0Ms)) / 1000;
}
