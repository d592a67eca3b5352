// The sampler thread runs the bundled worker: one self-contained CommonJS file, built with the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { workerUrl } from '../src/sampler/pool.js';
import { tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);
const bundle = fileURLToPath(workerUrl);

test('the sampler pool loads the bundle, built next to the modules it replaces', () => {
  assert.match(bundle, /\/dist\/src\/sampler\/worker\.bundle\.cjs$/);
  assert.ok(existsSync(bundle), `${bundle} is missing: npm run build makes it`);
  assert.ok(existsSync(`${bundle}.map`));
});

test('the bundle requires only Node built-ins (koffi comes through createRequire at run time)', () => {
  const specs = [...readFileSync(bundle, 'utf8').matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  assert.ok(specs.length > 0);
  assert.deepEqual(specs.filter((s) => !s.startsWith('node:')), []);
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
