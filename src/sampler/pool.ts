// piscina, loaded when the first sampler starts (importing this package should cost next to nothing)
// and fetched ahead, off the caller's path, when a tracker is made.
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';

/** The pool the sampler thread runs in. */
export type Pool = Piscina;

/**
 * The sampler thread's module: worker.ts and everything it imports, bundled into one CommonJS file
 * by scripts/postbuild.mjs (piscina's worker loads it in about 4 ms, the 23 ES modules in about 16),
 * loaded through worker-entry.cjs with the V8 code cache the build made of it.
 */
export const workerUrl = new URL('./worker.entry.cjs', import.meta.url);

const require = createRequire(import.meta.url);
let piscina: typeof Piscina | undefined;
let fetching = false;

/**
 * piscina's Pool class. A start() must create its thread inside the call, so this is synchronous:
 * the module is required here unless preloadPiscina() has already brought it in (about 9 ms on a
 * slow VM, off the caller's path). It comes from piscina.bundle.cjs, piscina's main-thread files
 * in one (scripts/postbuild.mjs), or from the package when the version installed is not the one bundled.
 */
export function loadPiscina(): typeof Piscina {
  piscina ??= bundledPiscina() ?? (require('piscina') as { Piscina: typeof Piscina }).Piscina;
  return piscina;
}

function bundledPiscina(): typeof Piscina | undefined {
  try {
    return (require('./piscina.bundle.cjs') as { Piscina: typeof Piscina }).Piscina;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_CODECARBON_PISCINA_VERSION') return undefined;
    throw e;
  }
}

/** A private pool of exactly one thread running the sampler's module, which boots from `workerData` as soon as it loads. */
export function newPool(workerData: unknown): Pool {
  const PiscinaPool = loadPiscina();
  return new PiscinaPool({
    filename: workerUrl.href,
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: Infinity,
    // With 'sync', an idle worker blocks in Atomics.wait and the sampling loop stalls.
    atomics: 'disabled',
    // No task is timed: two histograms made before the thread is spawned (0.4 ms of a cold start) for nothing.
    recordTiming: false,
    workerData,
  });
}

/** Loads piscina in the background (a later turn of the event loop), so that a first start() need not. */
export function preloadPiscina(): void {
  if (piscina !== undefined || fetching) return;
  fetching = true;
  setImmediate(() => {
    try {
      loadPiscina();
    } catch {
      fetching = false; // said where it matters: by the start() that needs it
    }
  });
}
