// Faults of the hardware: a driver that never answers, a counter file that blocks, is replaced, or
// reads garbage for a while. Nothing hangs, nothing is lost, nothing unmeasured is labelled measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCsv } from '../src/output/csv.js';
import { Sampler, type SamplerWarningEvent } from '../src/sampler/sampler.js';
import { readsFailOnceRemoved } from '../src/sources/source.js';
import { fakeNvmlLibrary, noGcc } from './helpers/nvml.js';
import { ScriptedClock, scriptedTracker } from './helpers/scripted.js';
import { FakeProc, FakeRapl, tempDir } from './helpers/sysfs.js';

const fixture = fileURLToPath(new URL('./fixtures/stuck-sampler.js', import.meta.url));

/** The rows of a CSV file as objects keyed by its header. */
function rowsOf(path: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return rows.map((r) => Object.fromEntries(header!.map((c, i) => [c, r[i]!])));
}

/** A child process whose tracker's GPU stops answering; killed after 60 s (a hang fails, it does not stall the suite). */
function stuckChild(mode: string, hang: string, env: Record<string, string> = {}, maxRangeUj?: null) {
  const dir = tempDir();
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0, ...(maxRangeUj === null ? { maxRangeUj } : {}) }]);
  const child = spawn(process.execPath, [fixture, mode, dir, rapl.root, fakeNvmlLibrary()],
    { env: { PATH: process.env['PATH'], HOME: dir, FAKE_NVML_COUNT: '1', FAKE_NVML_HANG: hang, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => { clearTimeout(killer); r([c, s]); }));
  const printed = (line: string): Promise<void> => new Promise((r) => {
    const look = (): void => { if (stdout.includes(line)) r(); };
    child.stdout.on('data', look);
    look();
  });
  return { dir, rapl, child, exited, printed, out: () => stdout };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a GPU read that never returns: the GPU is given up and named, the CPU goes on being measured; process.exit() still writes the row and exits', { skip: noGcc }, async () => {
  // Without max_energy_range_uj: a warning at the source's opening, which the successor (opening it again) must not repeat.
  const c = stuckChild('exit', 'power:3', { AFTER_STUCK: 'go' }, null);
  await c.printed('stuck\n');
  // The successor thread reads the RAPL counter from here: 10 J in steps of 1 J (well under the zone's plausible power).
  for (let j = 1; j <= 10; j++) {
    c.rapl.write('intel-rapl:0', j * 1_000_000);
    await sleep(20);
  }
  c.child.stdin.end('go\n');
  assert.deepEqual(await c.exited, [3, null], c.out());
  assert.match(c.out(), /warning: the sampler thread has been reading GPU 0 NVIDIA H200 \(GPU-5f1c[^)]*\): energy counter \(exact\) spread over power samples for more than 0\.3 s \(source_timeout_ms\): a driver that does not answer\? GPU measuring stops at its last reading .*the other components go on, read by a new sampler thread/);
  assert.match(c.out(), /^stuck\nflushed after$/m);
  assert.equal(c.out().split('\n').filter((l) => l.includes('max_energy_range_uj is missing')).length, 1, c.out());
  const rows = rowsOf(join(c.dir, 'emissions.csv'));
  assert.equal(rows.length, countFlushes(c.out()) + 1); // each flush, then the exit's row, once
  const row = rows.at(-1)!;
  assert.equal(row['gpu_count'], '1');
  assert.match(row['gpu_source']!, /incomplete \(its reads stopped answering; energy after that is not measured\)/);
  assert.doesNotMatch(row['cpu_source']!, /incomplete/);
  assert.ok(Math.abs(Number(row['cpu_energy']) * 3.6e6 - 10) < 1e-6, `cpu_energy ${row['cpu_energy']} kWh, expected 10 J`);
  for (const col of ['cpu_energy', 'gpu_energy', 'ram_energy', 'duration']) assert.ok(Number(row[col]) >= 0 && Number.isFinite(Number(row[col])));
});

test('a GPU read that returns only after it was given up: the old thread never writes the timeline again', { skip: noGcc }, async () => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const proc = new FakeProc();
  const r = await promisify(execFile)(process.execPath, [fileURLToPath(new URL('./fixtures/slow-read.js', import.meta.url)),
    rapl.root, proc.root, fakeNvmlLibrary()], { timeout: 60_000,
    env: { PATH: process.env['PATH'], FAKE_NVML_COUNT: '1', FAKE_NVML_HANG: 'power:3', FAKE_NVML_HANG_MS: '1200' } });
  const got = JSON.parse(r.stdout) as { events: string[]; published: number[]; times: number[]; state: number; hangReturned: boolean;
    givenUp: { index: number; components: string[] }[] };
  assert.equal(got.hangReturned, true, r.stdout);
  assert.deepEqual(got.givenUp, [{ index: 2, components: ['gpu'] }]);
  assert.deepEqual(got.events.filter((e) => e.startsWith('error')), []);
  assert.ok(got.events.includes('warning given-up:2'), got.events.join('\n'));
  for (let i = 1; i < got.published.length; i++) assert.ok(got.published[i]! > got.published[i - 1]!, `published went ${got.published.join(', ')}`);
  for (let i = 1; i < got.times.length; i++) assert.ok(got.times[i]! > got.times[i - 1]!, `sample times ${got.times.join(', ')}`);
  assert.equal(got.state, 2); // stopped cleanly by the successor, not crashed
});

test('stuck, then stop() and the event loop empties: stop() resolves, the row is written once, the process ends', { skip: noGcc }, async () => {
  const c = stuckChild('stop', 'power:3');
  assert.deepEqual(await c.exited, [0, null], c.out());
  assert.match(c.out(), /^stuck\nstopped$/m);
  assert.equal(rowsOf(join(c.dir, 'emissions.csv')).length, countFlushes(c.out()) + 1);
});

test('stuck, then SIGINT: the row is written and the signal ends the process as usual', { skip: noGcc }, async () => {
  const c = stuckChild('signal', 'power:3');
  await c.printed('stuck\n');
  c.child.kill('SIGINT');
  assert.deepEqual(await c.exited, [null, 'SIGINT'], c.out());
});

test('nvmlInit_v2 never returns: measuring does not start, said with the phase; the program still ends', { skip: noGcc }, async () => {
  const c = stuckChild('drain', 'init');
  const [code] = await c.exited;
  assert.equal(code, 0, c.out());
  assert.match(c.out(), /warning: measuring could not start: the sampler thread failed to start: the sampler thread has been loading NVML and listing the GPUs \(nvmlInit_v2, nvmlDeviceGet…\) for more than 0\.3 s/);
});

/** Rows written by the flushes before the stop (each flush writes one). */
function countFlushes(out: string): number {
  return out.split('\n').filter((l) => l.startsWith('flushed')).length;
}

test('monitor whose GPU stops answering while its command runs: the report, the command\'s exit code, no hang', { skip: noGcc }, async () => {
  const dir = tempDir();
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const r = await promisify(execFile)(process.execPath, [cli, 'monitor', '--offline', '--country-iso-code', 'FRA', '--nvml-library',
    fakeNvmlLibrary(), '--', process.execPath, '-e', 'setTimeout(() => process.exit(4), 800)'], { cwd: dir, timeout: 60_000,
    env: { PATH: process.env['PATH'], HOME: dir, CODECARBON_RAPL_DIR: rapl.root, CODECARBON_SOURCE_TIMEOUT_MS: '300',
      CODECARBON_SAMPLE_PERIOD_MS: '50', FAKE_NVML_COUNT: '1', FAKE_NVML_HANG: 'power:3' } }).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.equal(r?.code, 4, r?.stderr);
  assert.match(r!.stderr, /the sampler thread has been reading GPU 0 NVIDIA H200 .* for more than 0\.3 s/);
  assert.match(r!.stderr, /written to emissions\.csv/);
  assert.equal(rowsOf(join(dir, 'emissions.csv')).length, 1);
});

/** A stepped sampler over a fake tree, on a clock the test drives. */
async function stepped(t: import('node:test').TestContext, rapl: FakeRapl) {
  const clock = new ScriptedClock(1000);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000, forceRamPower: 1 },
    { clock: clock.buffer });
  const uninstall = clock.install();
  const warnings: string[] = [];
  sampler.addEventListener('warning', (e) => warnings.push((e as SamplerWarningEvent).message));
  t.after(async () => { await sampler.stop(); uninstall(); });
  await sampler.start();
  const at = async (ms: number, value?: string | number): Promise<number> => {
    clock.advance(ms);
    if (value !== undefined) rapl.write('intel-rapl:0', value);
    await sampler.sampleNow();
    return clock.ms;
  };
  return { sampler, clock, at, warnings };
}

test('an energy_uj that is a FIFO: the start mark and the sampler do not block on it; the zone is skipped with the reason', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const file = join(rapl.path('intel-rapl:0'), 'energy_uj');
  rmSync(file);
  execFileSync('mkfifo', [file]);
  const proc = new FakeProc();
  const sampler = new Sampler({ raplDir: rapl.root, procDir: proc.root, cgroupDir: proc.root, samplePeriodMs: 60_000 });
  t.after(async () => { await sampler.stop(); });
  const info = await sampler.start();
  assert.equal(info.channels[0]!.source, 'cpu-load');
  assert.match(info.plan.rapl.choices[0]!.reason, /^energy_uj not readable \((empty|EAGAIN|ESPIPE)\)$/);
  assert.match(info.plan.cpu.reason, /no readable RAPL package or psys zone/);
});

test('an energy_uj deleted and made again (a driver reload): read again, the span between unmeasured and said so, no jump', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1_000_000 }]);
  const { sampler, at, warnings } = await stepped(t, rapl);
  const t0 = await at(100, 1_100_000);
  const before = await at(100, 1_200_000);
  const file = join(rapl.path('intel-rapl:0'), 'energy_uj');
  renameSync(file, `${file}.old`); // the old inode lives on under the kept descriptor, as a deleted file's does
  writeFileSync(file, '5\n');
  rmSync(`${file}.old`);
  const replaced = await at(1000); // the next check (once a second) finds the new file: a fresh baseline
  rapl.write('intel-rapl:0', 30_005);
  const after = await at(100);
  const tl = sampler.timeline!;
  assert.equal(tl.energyBetween(t0, before).energyUj[0], 100_000);
  assert.equal(tl.energyBetween(replaced, after).energyUj[0], 30_000); // counted from the new file, no wrap or jump
  const across = tl.energyBetween(before, after);
  assert.equal(across.resolution, 'gap');
  assert.ok(across.unmeasuredMs > 0 && across.unmeasuredMs <= 1000, `${across.unmeasuredMs} ms unmeasured`);
  assert.equal(across.energyUj[0], 30_000);
  await new Promise((r) => setImmediate(r));
  assert.match(warnings.join('\n'), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was replaced \\(the RAPL driver reloaded\\?\\): it is read again from here`));
});

test('files of the kernel\'s own file systems (sysfs, procfs) fail their reads once removed; a regular file\'s descriptor does not', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'energy_uj'), '5\n');
  assert.equal(readsFailOnceRemoved(join(dir, 'energy_uj')), false);
  assert.equal(readsFailOnceRemoved(join(dir, 'missing')), false);
  assert.equal(readsFailOnceRemoved('/proc/self/stat'), true);
  // Every Linux that runs this has sysfs mounted; said, not skipped silently, where it is not.
  if (existsSync('/sys/kernel')) assert.equal(readsFailOnceRemoved('/sys/kernel'), true);
  else console.log('# /sys is not mounted here: the sysfs case is not checked');
});

test('a counter file on procfs or sysfs is not looked at by its path in turn (its reads fail once it is removed): a path that points elsewhere meanwhile is not followed', async (t) => {
  // A symlink to another process's /proc file stands for a sysfs zone: re-pointed, its old target
  // still reads; the sampler goes on reading it, since a removed kernel file would fail its reads.
  const [first, second] = [spawn('sleep', ['60'], { stdio: 'ignore' }), spawn('sleep', ['60'], { stdio: 'ignore' })];
  t.after(() => { first.kill(); second.kill(); });
  const counter = (p: typeof first): string => `/proc/${p.pid}/oom_score_adj`;
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const file = join(rapl.path('intel-rapl:0'), 'energy_uj');
  rmSync(file);
  symlinkSync(counter(first), file);
  const { sampler, at, warnings } = await stepped(t, rapl);
  writeFileSync(counter(first), '300\n');
  const before = await at(100);
  rmSync(file);
  symlinkSync(counter(second), file);
  writeFileSync(counter(second), '700\n');
  writeFileSync(counter(first), '400\n');
  const after = await at(1000); // past a check in turn (once a second), which would find another file at the path
  const later = await at(1000);
  const tl = sampler.timeline!;
  const e = tl.energyBetween(before, later);
  assert.equal(e.energyUj[0], 100); // 300 → 400 on the kept descriptor: no fresh baseline from the other file
  assert.notEqual(e.resolution, 'gap');
  assert.equal(tl.energyBetween(after, later).energyUj[0], 0);
  await new Promise((r) => setImmediate(r));
  assert.doesNotMatch(warnings.join('\n'), /was replaced/);
});

test('an energy_uj whose reads start failing (a removed sysfs file\'s do) is looked up again at once: the new file is read in that tick', async (t) => {
  // A kept descriptor of a removed sysfs file fails its reads (ENODEV); a /proc file of a process
  // that has exited does the same (ESRCH): the zone's counter is one until that process ends.
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => child.kill());
  const counter = `/proc/${child.pid}/oom_score_adj`; // "0", and a process may raise its own (or its child's)
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const file = join(rapl.path('intel-rapl:0'), 'energy_uj');
  rmSync(file);
  symlinkSync(counter, file);
  const { sampler, at, warnings } = await stepped(t, rapl);
  const t0 = await at(100);
  writeFileSync(counter, '300\n');
  const before = await at(100);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill();
  await exited;
  rmSync(file);
  writeFileSync(file, '5\n');
  const replaced = await at(100); // the read fails: the new file is found and read in this tick, not at the next check
  rapl.write('intel-rapl:0', 30_005);
  const after = await at(100);
  const tl = sampler.timeline!;
  assert.equal(tl.energyBetween(t0, before).energyUj[0], 300);
  assert.equal(tl.energyBetween(replaced, after).energyUj[0], 30_000);
  const across = tl.energyBetween(before, replaced);
  assert.equal(across.resolution, 'gap');
  assert.equal(across.unmeasuredMs, 100); // from the old file's last reading to the new one's first
  // The new file is a regular one: its path is looked at in turn again, and a replacement found.
  renameSync(file, `${file}.old`);
  writeFileSync(file, '9\n');
  rmSync(`${file}.old`);
  const again = await at(1000);
  rapl.write('intel-rapl:0', 10_009);
  const last = await at(100);
  assert.equal(tl.energyBetween(again, last).energyUj[0], 10_000);
  assert.equal(tl.energyBetween(after, again).resolution, 'gap');
  await new Promise((r) => setImmediate(r));
  assert.equal(warnings.filter((w) => /was replaced \(the RAPL driver reloaded\?\): it is read again from here/.test(w)).length, 2);
  assert.doesNotMatch(warnings.join('\n'), /could not be read/);
});

test('RAPL readings invalid for a while: the gap\'s energy is spread over the gap, not booked to what follows; not final until it closes', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
  const { sampler, at, clock, warnings } = await stepped(t, rapl);
  await at(100, 1000);
  const gapFrom = clock.ms;
  await at(100, 'garbage\n');
  const a = clock.ms;
  await at(50, 'garbage\n');
  const b = clock.ms;
  await at(50, 'garbage\n');
  const tl = sampler.timeline!;
  const open = tl.energyBetween(a, b);
  assert.equal(open.final, false, 'a task inside the gap is not final while the gap is open');
  const after = await at(100, 5000); // 4000 µJ over the 300 ms since the last valid reading
  const inGap = tl.energyBetween(a, b);
  assert.equal(inGap.final, true);
  assert.ok(Math.abs(inGap.energyUj[0]! - 4000 * (b - a) / (after - gapFrom)) < 1e-6, `${inGap.energyUj[0]}`);
  assert.ok(Math.abs(tl.energyBetween(b, after).energyUj[0]! - 4000 * (after - b) / (after - gapFrom)) < 1e-6);
  assert.equal(warnings.filter((w) => /held an invalid counter/.test(w)).length, 1);
});

/** A process-mode tracker over a fake /proc on a driven clock, no RAPL (the CPU estimated from the process's CPU time). */
function processTracker(t: import('node:test').TestContext, proc: FakeProc) {
  const { tracker, clock, dir } = scriptedTracker(t, { trackingMode: 'process', procDir: proc.root, cgroupDir: proc.root, raplDir: tempDir() });
  t.after(async () => { await tracker.stop(); });
  return { tracker, clock, csv: join(dir, 'emissions.csv') };
}

test('a /proc that does not show the tracked process: the CPU is "not measured" in the row, not a 0 W estimate', async (t) => {
  const proc = new FakeProc(); // no /proc/<pid>: as a hidepid mount or another pid namespace shows it
  const { tracker, clock, csv } = processTracker(t, proc);
  tracker.start();
  clock.advance(5000);
  await tracker.stop();
  const [row] = rowsOf(csv);
  assert.equal(row!['cpu_energy'], '0');
  assert.match(row!['cpu_source']!, /^cpu-process \(estimate\), not measured \(no valid reading in this span: its energy is missing, not 0/);
  assert.equal(row!['ram_source'], 'ram-forced (estimate)');
});

test('a tracked process\'s /proc files gone mid-run: the CPU is "incomplete" from its last reading; while they read, no label', async (t) => {
  const proc = new FakeProc();
  const pidDir = join(proc.root, String(process.pid));
  mkdirSync(pidDir);
  // utime stime cutime cstime are fields 14-17: 100 jiffies of CPU time, constant
  writeFileSync(join(pidDir, 'stat'), `${process.pid} (node) S ${'0 '.repeat(10)}100 0 0 0 20 0 1 0\n`);
  const { tracker, clock, csv } = processTracker(t, proc);
  tracker.start();
  clock.advance(3000);
  await tracker.flush();
  rmSync(pidDir, { recursive: true });
  clock.advance(1000);
  await tracker.flush();
  clock.advance(1000);
  await tracker.stop();
  const rows = rowsOf(csv);
  assert.equal(rows.length, 3);
  assert.equal(rows[0]!['cpu_source'], 'cpu-process (estimate)');
  assert.equal(rows[1]!['cpu_source'], 'cpu-process (estimate), incomplete (no valid reading in the last 1.0 s: energy then is not measured)');
  assert.equal(rows[2]!['cpu_source'], 'cpu-process (estimate), incomplete (no valid reading in the last 2.0 s: energy then is not measured)');
});

test('a component of two channels, one silent: incomplete from the silent one\'s last reading (the span\'s start when it never read), whatever the channels\' order; not measured only when none read', async () => {
  const { silentComponents } = await import('../src/run-record.js');
  const ch = (component: 'cpu' | 'ram') => ({ component }) as import('../src/sources/source.js').ChannelInfo;
  const channels = [ch('cpu'), ch('cpu'), ch('ram')];
  const at = (...last: number[]) => (c: number) => last[c]!;
  // t0 = 1000, t1 = 5000: a channel is silent when its last reading is before 4960.
  assert.deepEqual(silentComponents(channels, at(Number.NaN, 5000, 5000), 1000, 5000), [{ component: 'cpu', lastMs: 1000 }]);
  assert.deepEqual(silentComponents(channels, at(5000, Number.NaN, 5000), 1000, 5000), [{ component: 'cpu', lastMs: 1000 }]);
  assert.deepEqual(silentComponents(channels, at(3000, 5000, 5000), 1000, 5000), [{ component: 'cpu', lastMs: 3000 }]);
  assert.deepEqual(silentComponents(channels, at(Number.NaN, 500, 4990), 1000, 5000), [{ component: 'cpu', lastMs: Number.NaN }]);
  assert.deepEqual(silentComponents(channels, at(5000, 5000, 5000), 1000, 5000), []);
});
