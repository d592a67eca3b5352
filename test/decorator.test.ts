// trackEmissions: TC39 method decorator and function wrapper; results and errors pass through unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trackEmissions } from '../src/decorator.js';
import { parseCsv } from '../src/output/csv.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { scriptedTracker } from './helpers/scripted.js';
import { FakeRapl, tempDir } from './helpers/sysfs.js';

function where() {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const dir = tempDir('cc-dec-');
  const options = { offline: true, countryIsoCode: 'FRA', outputDir: dir, raplDir: rapl.root, logLevel: 'error' as const };
  return { dir, options };
}

/** Rows in the CSV once `n` exist (a sync call's row is written after its final sample). */
async function rows(dir: string, n: number): Promise<string[][]> {
  const path = join(dir, 'emissions.csv');
  for (let i = 0; i < 200; i++) {
    if (existsSync(path)) {
      const r = parseCsv(readFileSync(path, 'utf8')).slice(1);
      if (r.length >= n) return r;
    }
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`${path}: fewer than ${n} rows after 5 s`);
}

test('a wrapped sync function stays sync, keeps its type and result; each call is a run', async () => {
  const { dir, options } = where();
  const add = trackEmissions((a: number, b: number): number => a + b, options);
  const r = add(2, 3);
  assert.equal(r, 5); // a number, not a promise
  add(1, 1);
  const written = await rows(dir, 2);
  assert.notEqual(written[0]![2], written[1]![2], 'each call has its own run_id');
});

test('decorated sync, async and throwing methods', async () => {
  const { dir, options } = where();
  const failure = new Error('no');
  class Job {
    factor = 3;

    @trackEmissions(options)
    scale(x: number): number {
      return x * this.factor;
    }

    @trackEmissions(options)
    async later(x: number): Promise<number> {
      await new Promise((r) => setTimeout(r, 10));
      return x + this.factor;
    }

    @trackEmissions(options)
    fail(): never {
      throw failure;
    }
  }
  const job = new Job();
  assert.equal(job.scale(2), 6);
  assert.equal(await job.later(1), 4);
  assert.throws(() => job.fail(), (e) => e === failure);
  await rows(dir, 3);
});

test('with a shared tracker each call is a task of it', async () => {
  const { dir, options } = where();
  const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: dir, raplDir: options.raplDir, logLevel: 'error' }, { env: {} });
  const step = trackEmissions(function step(n: number): number { return n * 2; }, { tracker });
  tracker.start();
  assert.equal(step(4), 8);
  assert.equal(step(5), 10);
  await tracker.stop();
  const tasks = parseCsv(readFileSync(join(dir, `emissions_base_${tracker.runId}.csv`), 'utf8')).slice(1);
  assert.deepEqual(tasks.map((t) => t[0]), ['step', 'step']);
});

test('a bad option throws when wrapping, not at the first call', () => {
  assert.throws(() => trackEmissions(() => 1, { offline: true }), { name: 'ConfigError', message: /^country_iso_code \(from default\): an offline tracker needs/ });
});

test('a legacy decorator (experimentalDecorators: prototype, name, descriptor) wraps the method; a field or accessor is refused by name', async () => {
  const { dir, options } = where();
  const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: dir, raplDir: options.raplDir, logLevel: 'error' }, { env: {} });
  class Legacy {
    factor = 3;
    scale(x: number): number { return x * this.factor; }
    get size(): number { return 1; }
  }
  // What TypeScript's __decorate does under experimentalDecorators.
  const decorate = (key: string): void => {
    const descriptor = Object.getOwnPropertyDescriptor(Legacy.prototype, key);
    const out = (trackEmissions({ tracker }) as (t: object, k: string, d?: PropertyDescriptor) => PropertyDescriptor | undefined)(
      Legacy.prototype, key, descriptor);
    if (out !== undefined) Object.defineProperty(Legacy.prototype, key, out);
  };
  decorate('scale');
  tracker.start();
  assert.equal(new Legacy().scale(2), 6);
  await tracker.stop();
  const tasks = parseCsv(readFileSync(join(dir, `emissions_base_${tracker.runId}.csv`), 'utf8')).slice(1);
  assert.deepEqual(tasks.map((t) => t[0]), ['scale']);
  assert.throws(() => decorate('size'), { name: 'TypeError', message: '@trackEmissions decorates methods only; size is an accessor' });
  assert.throws(() => decorate('factor'), { name: 'TypeError', message: '@trackEmissions decorates methods only; factor is a field' });
});

test('a standard decorator on a field or getter is refused by name and kind', () => {
  const decorator = trackEmissions({ offline: true, countryIsoCode: 'FRA' }) as unknown as (v: unknown, c: object) => unknown;
  assert.throws(() => decorator(undefined, { kind: 'field', name: 'count' }),
    { name: 'TypeError', message: '@trackEmissions decorates methods only; count is a field' });
  assert.throws(() => decorator(() => 1, { kind: 'getter', name: 'size' }),
    { name: 'TypeError', message: '@trackEmissions decorates methods only; size is a getter' });
});

test('with a shared tracker, calls that overlap (an async function called again before it returned) are each a task of its name, no warning', async () => {
  const { dir, options } = where();
  const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: dir, raplDir: options.raplDir, logLevel: 'error' }, { env: {} });
  const warnings: string[] = [];
  tracker.addEventListener('warning', (e) => warnings.push((e as Event & { message: string }).message));
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const handle = trackEmissions(async function handle(n: number): Promise<number> { await gate; return n; }, { tracker });
  tracker.start();
  const calls = [handle(1), handle(2), handle(3), handle(4)];
  release();
  assert.deepEqual(await Promise.all(calls), [1, 2, 3, 4]);
  // One still open at the stop is closed by it, under its name too.
  const late = handle(5);
  await tracker.stop();
  await late;
  const tasks = parseCsv(readFileSync(join(dir, `emissions_base_${tracker.runId}.csv`), 'utf8')).slice(1);
  assert.deepEqual(tasks.map((t) => t[0]), ['handle', 'handle', 'handle', 'handle', 'handle']);
  assert.deepEqual(warnings, []);
});

test('bare @trackEmissions (as CodeCarbon\'s @track_emissions): the method is tracked with the default options; a string for options is a clear TypeError', async (t) => {
  const { dir, options } = where();
  const noService = 'http://127.0.0.1:1/';
  const env = { CODECARBON_OUTPUT_DIR: dir, CODECARBON_RAPL_DIR: options.raplDir, CODECARBON_GEOJS_URL: noService, CODECARBON_IPINFO_URL: noService,
    CODECARBON_CLOUD_METADATA_URL: noService, CODECARBON_LOCATION_CACHE_FILE: '', CODECARBON_LOG_LEVEL: 'critical' };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  t.after(() => { for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v; });
  class Job {
    @trackEmissions
    twice(x: number): number {
      return 2 * x;
    }
  }
  assert.equal(new Job().twice(4), 8);
  const written = await rows(dir, 1);
  assert.equal(written.length, 1);
  // Legacy (experimentalDecorators) bare: (prototype, name, descriptor).
  class Legacy { three(): number { return 3; } }
  const d = Object.getOwnPropertyDescriptor(Legacy.prototype, 'three')!;
  const before = d.value as () => number;
  (trackEmissions as unknown as (a: object, k: string, d: PropertyDescriptor) => unknown)(Legacy.prototype, 'three', d);
  assert.notEqual(d.value, before);
  assert.throws(() => trackEmissions((x: number) => x, 'my-project' as never),
    { name: 'TypeError', message: 'trackEmissions(fn, options): options must be an object such as { projectName: \'x\' }, got string "my-project"' });
});

test('a generator\'s work is measured until it is done (returned, thrown, closed early), not only its making; async ones too', async (t) => {
  const { tracker, clock } = scriptedTracker(t, { experimentName: 'x' });
  const made = function* numbers(n: number): Generator<number, string> {
    for (let i = 0; i < n; i++) {
      clock.advance(1000); // the body's work, run as it is iterated
      yield i;
    }
    return 'done';
  };
  const numbers = trackEmissions(made, { tracker });
  const failing = trackEmissions(function* failing(): Generator<number> {
    clock.advance(300);
    yield 1;
    throw new Error('broke');
  }, { tracker });
  const ticks = trackEmissions(async function* ticks(): AsyncGenerator<number> {
    for (let i = 0; i < 3; i++) {
      clock.advance(200);
      yield i;
    }
  }, { tracker });
  tracker.start();
  const all = numbers(3);
  assert.equal(Object.prototype.toString.call(all), '[object Generator]');
  // On the generator's own prototype: what it inherits (iterator helpers in newer Node) works on it.
  assert.ok(all instanceof made && Object.getPrototypeOf(all) === made.prototype);
  assert.deepEqual([...all], [0, 1, 2]);
  for (const i of numbers(5)) if (i === 1) break; // closed early: return()
  assert.throws(() => [...failing()], /broke/);
  const seen: number[] = [];
  for await (const i of ticks()) seen.push(i);
  assert.deepEqual(seen, [0, 1, 2]);
  const gen = numbers(1);
  assert.deepEqual([gen.next(), gen.next()], [{ value: 0, done: false }, { value: 'done', done: true }]);
  await tracker.stop();
  const rows = await tracker.taskRecords();
  assert.deepEqual(rows.map((r) => [r.task_name, r.duration, r.ended_by]), [['numbers', 3, 'stopTask'], ['numbers', 2, 'stopTask'],
    ['failing', 0.3, 'stopTask'], ['ticks', 0.6, 'stopTask'], ['numbers', 1, 'stopTask']]);
});

test('a wrapper\'s configuration warnings are said once, at its first call (its template never starts); null for an option with a default is not given beside { tracker }', async (t) => {
  const { dir, options } = where();
  const said: string[] = [];
  t.mock.method(console, 'warn', (m: string) => { said.push(m); });
  const work = trackEmissions((n: number) => n + 1, { ...options, logLevel: 'warning', region: 'nowhere' });
  assert.deepEqual(said, [], 'nothing said at wrapping time');
  assert.equal(work(1), 2);
  assert.equal(work(2), 3);
  await rows(dir, 2);
  await new Promise((r) => setImmediate(r));
  assert.equal(said.filter((m) => /region/.test(m)).length, 1, said.join('\n'));
  const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: dir, logLevel: 'error' });
  assert.doesNotThrow(() => trackEmissions((n: number) => n, { tracker, pue: null as unknown as number }));
  assert.throws(() => trackEmissions((n: number) => n, { tracker, region: null as unknown as string }), /give these to the tracker instead/);
});
