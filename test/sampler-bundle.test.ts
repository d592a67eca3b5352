// The sampler's bundles: its thread's modules in one self-contained CommonJS file, and piscina's main-thread side in another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadPiscina, workerUrl } from '../src/sampler/pool.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);
const entry = fileURLToPath(workerUrl);
const bundle = fileURLToPath(new URL('./worker.bundle.cjs', workerUrl));

test('the sampler pool loads the bundle through its entry, built next to the modules it replaces, with its code cache', () => {
  assert.match(entry, /\/dist\/src\/sampler\/worker\.entry\.cjs$/);
  for (const f of [entry, bundle, `${bundle}.map`, `${bundle}.cache`]) assert.ok(existsSync(f), `${f} is missing: npm run build makes it`);
});

/** What the entry made of the code cache, loaded in a thread of a fresh process (no sampler boots: no workerData). */
async function codeCacheOf(entryFile: string): Promise<string> {
  const script = `new (require('node:worker_threads').Worker)(${JSON.stringify(`console.log(require(${JSON.stringify(entryFile)}).codeCache)`)}, { eval: true });`;
  return (await run(process.execPath, ['-e', script], { timeout: 15_000 })).stdout.trim();
}

test('a thread compiles the bundle from the code cache the build made; from source when the cache is refused, older than the bundle, or missing', async (t) => {
  assert.equal(await codeCacheOf(entry), 'accepted');
  // dist/src and the WebAssembly build copied under dist/ (its packages resolve), the cache then spoiled, aged, removed.
  const copy = fileURLToPath(new URL(`../tmp-cache-${process.pid}/`, import.meta.url));
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(fileURLToPath(new URL('../src/', import.meta.url)), join(copy, 'dist', 'src'), { recursive: true, preserveTimestamps: true });
  cpSync(fileURLToPath(new URL('../../build/', import.meta.url)), join(copy, 'build'), { recursive: true });
  const sampler = join(copy, 'dist', 'src', 'sampler');
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  t.after(() => rapl.cleanup());
  const starts = async (): Promise<string> => {
    const script = `const { Sampler } = await import(${JSON.stringify(pathToFileURL(join(sampler, 'sampler.js')).href)});
      const s = new Sampler({ raplDir: ${JSON.stringify(rapl.root)} });
      await s.start().then(() => console.log('started'), (e) => console.log(e.message)); await s.stop();`;
    return (await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 })).stdout.trim();
  };
  const cache = join(sampler, 'worker.bundle.cjs.cache');
  writeFileSync(cache, Buffer.alloc(readFileSync(cache).length, 7));
  assert.equal(await codeCacheOf(join(sampler, 'worker.entry.cjs')), 'rejected');
  assert.equal(await starts(), 'started');
  utimesSync(cache, new Date(2000, 0, 1), new Date(2000, 0, 1));
  assert.equal(await codeCacheOf(join(sampler, 'worker.entry.cjs')), 'none');
  rmSync(cache);
  assert.equal(await codeCacheOf(join(sampler, 'worker.entry.cjs')), 'none');
  assert.equal(await starts(), 'started');
});

test('the bundle requires only Node built-ins (koffi comes through createRequire at run time)', () => {
  const specs = [...readFileSync(bundle, 'utf8').matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  assert.ok(specs.length > 0);
  assert.deepEqual(specs.filter((s) => !s.startsWith('node:')), []);
  // Each built-in a thread loads that is not in its start-up snapshot costs its start 1-2 ms
  // (node:fs/promises did): one more here should be a choice, made knowing that.
  assert.deepEqual([...new Set(specs)].sort(), ['node:fs', 'node:os', 'node:path', 'node:perf_hooks', 'node:url', 'node:worker_threads']);
});

test('the bundle loads alone, with no other module of the package beside it', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const alone = join(dir, 'dist', 'src', 'sampler', 'worker.bundle.cjs');
  mkdirSync(join(dir, 'dist', 'src', 'sampler'), { recursive: true });
  copyFileSync(bundle, alone);
  const script = `const m = require(${JSON.stringify(alone)}); console.log(typeof m.default, m.default());`;
  const { stdout } = await run(process.execPath, ['-e', script], { timeout: 15_000 });
  assert.equal(stdout, 'function null\n');
});

test('the pool class is piscina\'s own, from its main-thread bundle, of the installed version', () => {
  const installed = createRequire(import.meta.url)('piscina') as { Piscina: { version: string } };
  const Pool = loadPiscina();
  assert.notEqual(Pool, installed.Piscina); // the bundle's copy, not the package's files
  assert.equal(Pool.version, installed.Piscina.version);
});

test('the piscina bundle refuses to load beside another installed version', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fake = join(dir, 'node_modules', 'piscina');
  mkdirSync(join(fake, 'dist'), { recursive: true });
  writeFileSync(join(fake, 'package.json'), JSON.stringify({ name: 'piscina', version: '4.0.0', main: 'dist/main.js' }));
  writeFileSync(join(fake, 'dist', 'main.js'), '');
  const copy = join(dir, 'piscina.bundle.cjs');
  copyFileSync(fileURLToPath(new URL('./piscina.bundle.cjs', workerUrl)), copy);
  const script = `try { require(${JSON.stringify(copy)}); } catch (e) { console.log(e.code, e.message); }`;
  const { stdout } = await run(process.execPath, ['-e', script], { timeout: 15_000 });
  const bundled = (loadPiscina() as unknown as { version: string }).version;
  assert.equal(stdout, `ERR_CODECARBON_PISCINA_VERSION piscina 4.0.0 is installed, this bundle holds ${bundled}\n`);
});

test('a thread whose module does not load fails the start with why, rather than leave it waiting', async (t) => {
  // dist/src as tsc alone leaves it (no bundle), under the repository so that its packages resolve.
  const copy = fileURLToPath(new URL(`../tmp-unbundled-${process.pid}/`, import.meta.url));
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(fileURLToPath(new URL('../src/', import.meta.url)), join(copy, 'src'), { recursive: true });
  rmSync(join(copy, 'src', 'sampler', 'worker.bundle.cjs'));
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  t.after(() => rapl.cleanup());
  const script = `const { Sampler } = await import(${JSON.stringify(pathToFileURL(join(copy, 'src', 'sampler', 'sampler.js')).href)});
    await new Sampler({ raplDir: ${JSON.stringify(rapl.root)} }).start().then(() => console.log('started'), (e) => console.log(e.message));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 });
  assert.match(stdout, /^the sampler thread failed to start: ENOENT: no such file or directory, open '.*\/src\/sampler\/worker\.bundle\.cjs'/);
});

test('piscina\'s bundle does not load node:assert; its two checks still throw node:assert\'s own AssertionError', async () => {
  const pool = fileURLToPath(new URL('./piscina.bundle.cjs', workerUrl));
  const script = `require(${JSON.stringify(pool)}); console.log(process.moduleLoadList.filter((m) => /^NativeModule assert$/.test(m)).length);`;
  const { stdout } = await run(process.execPath, ['-e', script], { timeout: 15_000 });
  assert.equal(stdout, '0\n');
  const lazy = createRequire(import.meta.url)(fileURLToPath(new URL('../../scripts/lazy-assert.cjs', import.meta.url))) as
    ((v: unknown, m?: string) => void) & { notStrictEqual(a: unknown, b: unknown): void; deepStrictEqual(a: unknown, b: unknown): void };
  lazy(1);
  lazy.notStrictEqual(-1, 0);
  lazy.notStrictEqual(NaN, 0);
  assert.throws(() => lazy(null, 'listeners'), { name: 'AssertionError', message: 'listeners' });
  assert.throws(() => lazy.notStrictEqual(-1, -1), { name: 'AssertionError', code: 'ERR_ASSERTION' });
  assert.throws(() => lazy.notStrictEqual(NaN, NaN), { name: 'AssertionError' });
  assert.throws(() => lazy.deepStrictEqual({ a: 1 }, { a: 2 }), { name: 'AssertionError' }); // any other member: the real module's
});
