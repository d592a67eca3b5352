// The sampler thread's module as piscina loads it (copied to dist/src/sampler/worker.entry.cjs by
// scripts/postbuild.mjs): the one-file bundle beside it, worker.bundle.cjs, compiled with the V8
// code cache the build made of it (worker.bundle.cjs.cache, written by scripts/code-cache.mjs:
// the bundle as a real start left it compiled). A thread then neither parses the bundle nor
// compiles what its start runs. Without a cache, with one older than the bundle, or with one V8
// refuses (another Node version, other V8 flags), or in a test's thread with a tick hook, the
// bundle compiles from source, as require() would; either way it runs as a CommonJS module here.
'use strict';
const { readFileSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');

const file = join(__dirname, 'worker.bundle.cjs');
const cacheFile = `${file}.cache`;
const source = readFileSync(file, 'utf8');

/** The cache, when it was written with (or after) this bundle. */
function cache() {
  try {
    return statSync(cacheFile).mtimeMs >= statSync(file).mtimeMs ? readFileSync(cacheFile) : undefined;
  } catch {
    return undefined;
  }
}

// A test's tick hook is imported (import()), and V8 in Node 20 runs a script compiled from a cache
// without its dynamic import callback ("A dynamic import callback was not specified"): a thread
// given one compiles from source.
const hooked = require('node:worker_threads').workerData?.codecarbon?.internals?.tickHook !== undefined;
const cachedData = hooked ? undefined : cache();
// The wrapper on the bundle's first line, as require() puts it: its line numbers stay the file's.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: file, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
// For the build (a start with internals.codeCache): the thread's compiled code, written once its start is posted.
globalThis[Symbol.for('codecarbon.writeCodeCache')] = (path) => writeFileSync(path, script.createCachedData());
script.runInThisContext().call(module.exports, module.exports, require, module, file, __dirname);
/** What became of the cache: 'accepted', 'rejected' (compiled from source) or 'none'. */
module.exports.codeCache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
