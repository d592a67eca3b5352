#!/usr/bin/env node
// After tsc: make the CLI executable, copy the plain-JS test fixtures next to their compiled imports,
// and bundle the sampler thread's modules into the one file its thread loads.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, readFileSync, rmSync } from 'node:fs';
import { buildSync } from 'esbuild';

chmodSync('dist/src/cli/main.js', 0o755);
cpSync('test/fixtures', 'dist/test/fixtures', { recursive: true, filter: (f) => !f.endsWith('.ts') });

// One CommonJS file instead of ~23 ES modules: piscina's worker require()s it at once, where the
// modules one by one cost a cold start about 12 ms (each resolved and linked by the ES module loader).
// It sits at the depth of the modules it replaces (dist/src/<dir>/), so their file-relative URLs
// (../../../build/release.wasm, ../../../data/*.json) still point where they did. koffi is not in
// it: nvml.ts loads it at run time through createRequire, which esbuild leaves alone.
// The code cache of a previous bundle goes first: V8 checks a cache against its source's length only.
rmSync('dist/src/sampler/worker.bundle.cjs.cache', { force: true });
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

// piscina's main-thread side, in one CommonJS file too: a first start() requires it where its 13
// files, each resolved and read, cost about 3 ms more. Its threads still run piscina's own
// worker.js from the installed package (its one __dirname now points there), and the bundle
// refuses to load beside a different installed version (pool.ts then requires the package).
// Unchanged but for node:assert, whose two uses come from scripts/lazy-assert.cjs.
const piscinaPkg = JSON.parse(readFileSync('node_modules/piscina/package.json', 'utf8'));
const piscinaLicense = readFileSync('node_modules/piscina/LICENSE', 'utf8').trimEnd().split('\n').map((l) => ` * ${l}`.trimEnd()).join('\n');
buildSync({
  entryPoints: ['node_modules/piscina/dist/main.js'],
  outfile: 'dist/src/sampler/piscina.bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define: { __dirname: 'piscinaDist' },
  // Its node:assert, loaded only when a check fails (scripts/lazy-assert.cjs): 3 ms of a first start().
  alias: { 'node:assert': './scripts/lazy-assert.cjs' },
  banner: { js: `/*\n * piscina ${piscinaPkg.version}, bundled unchanged (its node:assert is scripts/lazy-assert.cjs).\n *\n${piscinaLicense}\n */
'use strict';
// The first node_modules/piscina up from here, where require() would find it, without the
// exports-map resolver that require.resolve() loads (2 ms of a cold start); else (Plug'n'Play
// and the like) require.resolve().
const piscinaDist = (() => {
  const { join, dirname } = require('node:path');
  for (const dir of module.paths) if (require('node:fs').existsSync(join(dir, 'piscina', 'package.json'))) return join(dir, 'piscina', 'dist');
  return dirname(require.resolve('piscina'));
})();
const piscinaInstalled = require(require('node:path').join(piscinaDist, '..', 'package.json')).version;
if (piscinaInstalled !== ${JSON.stringify(piscinaPkg.version)}) {
  throw Object.assign(new Error(\`piscina \${piscinaInstalled} is installed, this bundle holds ${piscinaPkg.version}\`), { code: 'ERR_CODECARBON_PISCINA_VERSION' });
}` },
  logLevel: 'warning',
});

// What piscina's thread loads: worker-entry.cjs, which compiles the bundle with its V8 code cache,
// made here by a real start (scripts/code-cache.mjs). Without one (a machine where the start
// fails), threads compile the bundle from source: they start a few ms slower, nothing else.
copyFileSync('src/sampler/worker-entry.cjs', 'dist/src/sampler/worker.entry.cjs');
try {
  execFileSync(process.execPath, ['scripts/code-cache.mjs'], { stdio: ['ignore', 'inherit', 'pipe'], timeout: 60_000 });
} catch (e) {
  console.warn(`postbuild: no code cache for the sampler thread (it compiles its bundle from source): ${String(e.stderr ?? e.message).trim()}`);
}
