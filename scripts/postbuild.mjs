#!/usr/bin/env node
// After tsc: make the CLI executable, copy the plain-JS test fixtures next to their compiled imports,
// and bundle the sampler thread's modules into the one file its thread loads.
import { chmodSync, cpSync } from 'node:fs';
import { buildSync } from 'esbuild';

chmodSync('dist/src/cli/main.js', 0o755);
cpSync('test/fixtures', 'dist/test/fixtures', { recursive: true, filter: (f) => !f.endsWith('.ts') });

// One CommonJS file instead of ~23 ES modules: piscina's worker require()s it at once, where the
// modules one by one cost a cold start about 12 ms (each resolved and linked by the ES module loader).
// It sits at the depth of the modules it replaces (dist/src/<dir>/), so their file-relative URLs
// (../../../build/release.wasm, ../../../data/*.json) still point where they did. koffi is not in
// it: nvml.ts loads it at run time through createRequire, which esbuild leaves alone.
buildSync({
  entryPoints: ['dist/src/sampler/worker.js'],
  outfile: 'dist/src/sampler/worker.bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define: { 'import.meta.url': 'importMetaUrl' },
  // Strict first, as the ES modules were (esbuild's own 'use strict' would come after this line).
  banner: { js: '\'use strict\';\nconst importMetaUrl = require(\'node:url\').pathToFileURL(__filename).href;' },
  sourcemap: true,
  logLevel: 'warning',
});
