// Task marks in memory the sampler thread readies: names kept as runs, the arena lent to one book at
// a time, pages faulted in by the warmer (in this thread, and by a real sampler thread).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { arenaAheadTasks, arenaStepTasks, ArenaWarmer, TaskArena } from '../src/sampler/arena.js';
import { Sampler } from '../src/sampler/sampler.js';
import { TaskBook } from '../src/tasks.js';
import { takeCopy } from './helpers/tasks.js';
import { FakeRapl } from './helpers/sysfs.js';

/** A take's names, one per task. */
function perTask(taken: { count: number; runs: { starts: Int32Array; names: readonly string[] } }): string[] {
  const { starts, names } = taken.runs;
  return Array.from({ length: taken.count }, (_, i) => {
    let r = 0;
    while (r + 1 < starts.length && starts[r + 1]! <= i) r++;
    return names[r]!;
  });
}

/** Every finished task's name, start and end, read back through the book's accessors in order. */
const spans = (b: TaskBook) => Array.from({ length: b.doneCount }, (_, i) => [b.nameOf(i), b.startOf(i), b.endOf(i)] as const);

/** A task of that name, or a fold keeping the first `keep` (a share of the tasks) up to a time `at` of the way from the first end to the last. */
type Op = { kind: 'task'; name: string } | { kind: 'fold'; keep: number; at: number };

const ops = fc.array(fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('task' as const), name: fc.constantFrom('a', 'b', 'c') }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('task' as const), name: fc.string({ minLength: 1, maxLength: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('fold' as const), keep: fc.integer({ min: 0, max: 100 }), at: fc.integer({ min: 0, max: 100 }) }), weight: 1 },
), { minLength: 10, maxLength: 300 });

/**
 * Plays `script` on a book and on plain arrays; the book must read back as the arrays say, at every
 * step. Returns the most tasks the book held at once.
 */
function replay(script: Op[], arena: TaskArena | null): number {
  const b = new TaskBook(arena);
  let model: (readonly [string, number, number])[] = [];
  let most = 0;
  for (const op of script) {
    if (op.kind === 'task') {
      b.start(op.name);
      b.stop(op.name);
      model.push([op.name, b.startOf(b.doneCount - 1), b.endOf(b.doneCount - 1)]);
    } else {
      // A fold up to a time between the first and the last end: tasks after `keep` that ended by then go.
      const until = model.length === 0 ? 0 : model[0]![2] + (op.at / 100) * (model.at(-1)![2] - model[0]![2]);
      const keep = Math.floor((op.keep / 100) * model.length);
      let cut = keep;
      while (cut < model.length && model[cut]![2] <= until) cut++;
      const taken = takeCopy(b, keep, until);
      removed += taken.count;
      assert.deepEqual(perTask(taken), model.slice(keep, cut).map((m) => m[0]));
      model = [...model.slice(0, keep), ...model.slice(cut)];
    }
    assert.deepEqual(spans(b), model);
    most = Math.max(most, model.length);
  }
  // Out of order too: the run found last is a hint, not an assumption.
  for (let i = model.length - 1; i >= 0; i -= 3) assert.equal(b.nameOf(i), model[i]![0]);
  return most;
}

let removed = 0;

test('names kept as runs read back as one name per task, through folds that cut and merge runs, with and without an arena', () => {
  fc.assert(fc.property(ops, (script) => { replay(script, null); }), { numRuns: 200 });
  assert.ok(removed > 100, `the folds took ${removed} tasks in all`); // the folds did fold
  // An arena smaller than the tasks: the book outgrows it, copies its marks out and gives it back.
  fc.assert(fc.property(ops, (script) => {
    const arena = new TaskArena(50);
    const most = replay(script, arena);
    assert.equal(arena.lend({}), most > 50 || script.every((op) => op.kind === 'fold')); // given back once outgrown, never lent without a task
  }), { numRuns: 200 });
});

test('a loop of one name stores no name per task, and alternating names one run each', () => {
  const b = new TaskBook();
  for (let i = 0; i < 100_000; i++) { b.start('step'); b.stop('step'); }
  b.start('other');
  b.stop('other');
  assert.deepEqual([b.nameOf(0), b.nameOf(99_999), b.nameOf(100_000)], ['step', 'step', 'other']);
  const taken = takeCopy(b, 1, Infinity);
  assert.equal(taken.count, 100_000);
  assert.deepEqual([...taken.runs.starts], [0, 99_999], 'a loop of one name is one run');
  assert.deepEqual(taken.runs.names, ['step', 'other']);
  assert.deepEqual(spans(b).map((s) => s[0]), ['step']);
});

test('the arena is lent to one book at a time: its marks are stored there, a second book keeps its own', () => {
  const arena = new TaskArena(1000);
  const first = new TaskBook(arena);
  const second = new TaskBook(arena);
  for (let i = 0; i < 3; i++) { first.start('x'); first.stop('x'); second.start('y'); second.stop('y'); }
  const slots = new Float64Array(arena.buffer, 64, 6);
  assert.deepEqual([...slots], spans(first).flatMap((s) => [s[1], s[2]]));
  assert.equal(arena.lend({}), false);
  // Given back with its marks copied out: a new book overwrites the slots, the old one reads its own.
  const before = spans(first);
  first.leaveArena(true);
  const third = new TaskBook(arena);
  third.start('z');
  third.stop('z');
  assert.deepEqual(spans(first), before);
  assert.equal(slots[0], third.startOf(0));
  first.start('x');
  first.stop('x');
  assert.equal(first.doneCount, 4);
  // Given back without its marks: the book is emptied, not left reading another book's.
  third.leaveArena(false);
  assert.equal(third.doneCount, 0);
  assert.equal(arena.lend({}), true);
});

test('a book takes the arena in steps and asks for slots ahead; past the arena it goes on in its own memory', () => {
  const arena = new TaskArena(2 * arenaStepTasks + 10);
  const warmer = new ArenaWarmer(arena.buffer, 1 << 20);
  const b = new TaskBook(arena);
  b.start('t');
  b.stop('t');
  warmer.warm();
  assert.equal(arena.readyTasks, 2 * arenaStepTasks); // as many ahead as the view holds, at first
  for (let i = 1; i < arena.tasks + 5; i++) { b.start('t'); b.stop('t'); }
  assert.equal(b.doneCount, arena.tasks + 5);
  assert.equal(arena.lend({}), true); // outgrown: given back
  const slots = new Float64Array(arena.buffer, 64, 2 * arena.tasks);
  slots.fill(-1); // another book's marks now: the first one's are its own
  assert.ok(spans(b).every(([, s, e]) => s > 0 && e >= s));
});

test('a book no one can read any more (its tracker dropped without a new run) frees the arena for the next', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const arena = new TaskArena(100);
  ((): void => {
    const dropped = new TaskBook(arena);
    dropped.start('x');
    dropped.stop('x');
  })();
  assert.equal(arena.lend({}), false);
  await new Promise((r) => setImmediate(r)); // a weak reference holds its target to the end of the turn
  gc();
  const next = new TaskBook(arena);
  next.start('y');
  next.stop('y');
  assert.equal(new Float64Array(arena.buffer, 64, 2)[0], next.startOf(0));
});

/**
 * Why page faults cannot be counted one per 4 KiB here, or null: huge pages for every anonymous
 * mapping (transparent_hugepage `always`) or larger base pages map many pages per fault.
 */
function pagesUncountable(): string | null {
  const thp = (() => { try { return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'); } catch { return ''; } })();
  if (thp.includes('[always]')) return 'transparent_hugepage is [always]: one fault maps 2 MiB';
  const pageKb = /KernelPageSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps', 'utf8'))?.[1];
  return pageKb === '4' ? null : `the kernel's page size is ${pageKb ?? 'unknown'} KiB, not 4`;
}

/** Minor page faults of this thread so far (/proc/thread-self/stat, field 10): a page touched for the first time is one. */
const minorFaults = (): number => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ')[7]);

test('the warmer faults in the wanted pages, at most its share per call, stops between batches when a sample is asked for, and keeps the marks already stored',
  { skip: pagesUncountable() ?? false }, () => {
  // 64 MiB: above malloc's largest mmap threshold, so the buffer is fresh zero pages, not reused memory.
  const arena = new TaskArena(1 << 22);
  const tasks = 98_304; // the book's view; wanted: 32,768 more, 131,072 slots, 2 MiB, 512 pages
  const view = arena.view(tasks);
  view[0] = 12.5;
  view[2 * tasks - 1] = 99.25;
  const warmer = new ArenaWarmer(arena.buffer, 256);
  const f0 = minorFaults();
  assert.equal(warmer.warm(), 256);
  const faults = minorFaults() - f0;
  // One fault per page, or two where the kernel maps a fresh page for the read of the warmer's
  // read-modify-write first and faults again for its write (Linux 6.18 here: 512 for 256 pages);
  // the pages marked above were faulted in already; the warmer's own loop adds a few at most.
  assert.ok(faults >= 250 && faults <= 2 * 256 + 32, `${faults} page faults`);
  assert.equal(arena.readyTasks, (256 * 4096) / 16);
  // A sample asked for: one batch, then the tick goes on.
  assert.equal(warmer.warm(() => true), 16);
  assert.equal(warmer.warm(), 240);
  assert.equal(warmer.warm(), 0); // all ready: one load of the control word
  assert.equal(arena.readyTasks, 131_072);
  assert.deepEqual([view[0], view[2 * tasks - 1]], [12.5, 99.25]);
  const f1 = minorFaults();
  view.fill(1, 0, 2 * tasks); // the book's stores into ready pages: no fault
  assert.ok(minorFaults() - f1 <= 8, `${minorFaults() - f1} page faults storing into ready pages`);
  assert.deepEqual([view[0], view[2 * tasks - 1], view[2 * tasks - 2]], [1, 1, 1]);
});

test('a fold reads the marks where they are: the arena\'s own memory, no page faulted in on the calling thread; a fold that throws moves nothing',
  { skip: pagesUncountable() ?? false }, () => {
  const arena = new TaskArena(1 << 17);
  new ArenaWarmer(arena.buffer, 1 << 20).warm(); // nothing wanted yet: the book's first view asks
  const b = new TaskBook(arena);
  b.start('t');
  b.stop('t');
  const warmer = new ArenaWarmer(arena.buffer, 1 << 20);
  for (let i = 1; i < 100_000; i++) {
    if (i % 8192 === 0) warmer.warm(); // as the sampler thread keeps ahead of the marks
    b.start(i < 50_000 ? 't' : 'u');
    b.stop(i < 50_000 ? 't' : 'u');
  }
  // The marks as a sum and the names as a count per name: no array of 100,000 spans (whose garbage
  // would make the fold's thread collect, and fault pages in, while it is watched).
  const digest = (): string => {
    let ms = 0;
    const names = new Map<string, number>();
    for (let i = 0; i < b.doneCount; i++) {
      ms += b.endOf(i) - b.startOf(i);
      names.set(b.nameOf(i), (names.get(b.nameOf(i)) ?? 0) + 1);
    }
    return `${b.doneCount} tasks, ${ms} ms, ${JSON.stringify([...names])}`;
  };
  const before = digest();
  const kept = spans(b).slice(0, 10);
  let takenMs = 0;
  for (let i = 10; i < b.doneCount; i++) takenMs += b.endOf(i) - b.startOf(i);
  assert.throws(() => b.takeAfter(10, Infinity, () => { throw new Error('summing failed'); }), /summing failed/);
  assert.equal(digest(), before, 'every task where it was');
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  let sumMs = 0;
  let buffer: ArrayBufferLike | null = null;
  const f0 = minorFaults();
  const count = b.takeAfter(10, Infinity, ({ times, count: n }) => {
    buffer = times.buffer;
    for (let i = 0; i < n; i++) sumMs += times[2 * i + 1]! - times[2 * i]!;
  });
  // A copy of the 99,990 taken marks would be 1.5 MiB of fresh memory: 390 pages or more.
  const faults = minorFaults() - f0;
  assert.equal(count, 99_990);
  assert.equal(buffer, arena.buffer, 'the marks handed over are the arena\'s, not a copy');
  assert.ok(faults <= 128, `${faults} page faults in a fold`); // compiling the summing loop takes a few dozen
  assert.equal(sumMs, takenMs);
  assert.deepEqual(spans(b), kept);
});

test('a real sampler thread makes ready the slots a task book asks for at once, not at its next scheduled tick', async (t) => {
  const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 1000 }]);
  t.after(() => rapl.cleanup());
  const want = arenaStepTasks + Math.min(arenaStepTasks, arenaAheadTasks);
  // A 60 s period: no scheduled tick comes while the test runs; the book's step wakes the thread.
  const sampler = new Sampler({ raplDir: rapl.root, samplePeriodMs: 60_000, idleSamplePeriodMs: 60_000 });
  t.after(() => sampler.stop());
  await sampler.start();
  const arena = sampler.arena!;
  assert.equal(arena.readyTasks, 0); // no book has asked: no page spent
  await sampler.sampleNow(); // the thread's loop is past its first sample: none comes unasked from here
  const published = sampler.timeline!.ring.published();
  const b = new TaskBook(arena);
  b.start('t');
  b.stop('t');
  // Waited for up to 20 s (a loaded machine); the thread warms within milliseconds.
  for (let waited = 0; arena.readyTasks < want && waited < 20_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  assert.equal(arena.readyTasks, want);
  assert.equal(sampler.timeline!.ring.published(), published, 'woken to warm, not to sample');
  // A sample asked for while a book is behind (its wake taken as the ask): the slots are made ready after it.
  for (let i = 1; i < want; i++) { b.start('t'); b.stop('t'); } // the next step asks for more
  await sampler.sampleNow();
  for (let waited = 0; arena.readyTasks < 2 * want && waited < 20_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  assert.ok(arena.readyTasks >= 2 * want, `${arena.readyTasks} slots ready`);
});
