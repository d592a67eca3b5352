// piscina, loaded when the first sampler starts (importing this package should cost next to nothing)
// and fetched ahead, off the caller's path, when a tracker is made.
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';

/** The pool the sampler thread runs in. */
export type Pool = Piscina;

/**
 * The sampler thread's module: worker.ts and everything it imports, bundled into one CommonJS file
 * by scripts/postbuild.mjs (piscina's worker loads it in about 4 ms, the 23 ES modules in about 16).
 */
export const workerUrl = new URL('./worker.bundle.cjs', import.meta.url);

let piscina: typeof Piscina | undefined;
let fetching = false;

/**
 * piscina's Pool class. A start() must create its thread inside the call, so this is synchronous:
 * the module is required here unless preloadPiscina() has already brought it in (about 17 ms on a
 * slow VM, off the caller's path).
 */
export function loadPiscina(): typeof Piscina {
  piscina ??= (createRequire(import.meta.url)('piscina') as { Piscina: typeof Piscina }).Piscina;
  return piscina;
}

/** Loads piscina in the background (a later turn of the event loop), so that a first start() need not. */
export function preloadPiscina(): void {
  if (piscina !== undefined || fetching) return;
  fetching = true;
  import('piscina').then((m) => { piscina ??= m.Piscina; }, () => { fetching = false; });
}
